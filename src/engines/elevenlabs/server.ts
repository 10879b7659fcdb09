/** A standalone gRPC server bridging TextToSpeech to ElevenLabs input streaming. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EngineServer, EngineServerOptions } from '../shared/engine-server.js';
import { startBridgeServer } from '../speech-bridge/server.js';
import { ElevenLabsEngine, type ElevenLabsEngineOptions } from './engine.js';
import { elevenLabsSynthesizeHandler } from './tts-session.js';

export const ELEVENLABS_DEFAULT_PORT = 50066;

export interface ElevenLabsServerOptions extends ElevenLabsEngineOptions, EngineServerOptions {}

export interface ElevenLabsServer extends EngineServer {
  readonly engine: ElevenLabsEngine;
}

/** The TextToSpeech service implementation, for embedding in another gRPC server. */
export function elevenLabsService(engine: ElevenLabsEngine): UntypedServiceImplementation {
  return { Synthesize: elevenLabsSynthesizeHandler(engine) };
}

export async function startElevenLabsServer(
  options: ElevenLabsServerOptions = {},
): Promise<ElevenLabsServer> {
  const engine = new ElevenLabsEngine(options);
  const server = await startBridgeServer('tts', elevenLabsService(engine), options);
  return { ...server, close: () => server.close(), engine };
}
