/** A standalone gRPC server bridging TextToSpeech to Cartesia's TTS WebSocket. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EngineServer, EngineServerOptions } from '../shared/engine-server.js';
import { startBridgeServer } from '../speech-bridge/server.js';
import { CartesiaEngine, type CartesiaEngineOptions } from './engine.js';
import { cartesiaSynthesizeHandler } from './tts-session.js';

export const CARTESIA_DEFAULT_PORT = 50067;

export interface CartesiaServerOptions extends CartesiaEngineOptions, EngineServerOptions {}

export interface CartesiaServer extends EngineServer {
  readonly engine: CartesiaEngine;
}

/** The TextToSpeech service implementation, for embedding in another gRPC server. */
export function cartesiaService(engine: CartesiaEngine): UntypedServiceImplementation {
  return { Synthesize: cartesiaSynthesizeHandler(engine) };
}

export async function startCartesiaServer(
  options: CartesiaServerOptions = {},
): Promise<CartesiaServer> {
  const engine = new CartesiaEngine(options);
  const server = await startBridgeServer('tts', cartesiaService(engine), options);
  return { ...server, close: () => server.close(), engine };
}
