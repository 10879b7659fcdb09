/** A standalone gRPC server bridging SpeechToText to Deepgram live streaming. */
import type { handleBidiStreamingCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { RecognizeRequest__Output } from '../../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { EngineCall } from '../shared/engine-call.js';
import type { EngineServer, EngineServerOptions } from '../shared/engine-server.js';
import { startBridgeServer } from '../speech-bridge/server.js';
import { DeepgramEngine, type DeepgramEngineOptions } from './engine.js';
import { DeepgramSttSession } from './stt-session.js';

export const DEEPGRAM_DEFAULT_PORT = 50065;

export interface DeepgramServerOptions extends DeepgramEngineOptions, EngineServerOptions {}

export interface DeepgramServer extends EngineServer {
  readonly engine: DeepgramEngine;
}

/** The Recognize handler of a Deepgram bridge (for embedding in any gRPC server). */
export function deepgramRecognizeHandler(
  engine: DeepgramEngine,
): handleBidiStreamingCall<RecognizeRequest__Output, RecognizeResponse> {
  return (call) => {
    const session = new DeepgramSttSession(
      new EngineCall('Recognize', call, engine.monitor),
      engine,
    );
    call.on('data', (req: RecognizeRequest__Output) => session.onRequest(req));
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
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
