/** A standalone gRPC server bridging SpeechToText to Deepgram live streaming. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EngineServer, EngineServerOptions } from '../shared/engine-server.js';
import { startBridgeServer } from '../speech-bridge/server.js';
import { DeepgramEngine, type DeepgramEngineOptions } from './engine.js';
import { deepgramRecognizeHandler } from './stt-session.js';

export const DEEPGRAM_DEFAULT_PORT = 50065;

export interface DeepgramServerOptions extends DeepgramEngineOptions, EngineServerOptions {}

export interface DeepgramServer extends EngineServer {
  readonly engine: DeepgramEngine;
}

/** The SpeechToText service implementation, for embedding in another gRPC server. */
export function deepgramService(engine: DeepgramEngine): UntypedServiceImplementation {
  return { Recognize: deepgramRecognizeHandler(engine) };
}

export async function startDeepgramServer(
  options: DeepgramServerOptions = {},
): Promise<DeepgramServer> {
  const engine = new DeepgramEngine(options);
  const server = await startBridgeServer('stt', deepgramService(engine), options, () =>
    engine.ticker.stop(),
  );
  return { ...server, close: () => server.close(), engine };
}
