/** A standalone gRPC server bridging SpeechToText to an OpenAI-compatible /audio/transcriptions. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EngineServer, EngineServerOptions } from '../shared/engine-server.js';
import { startBridgeServer } from '../speech-bridge/server.js';
import { OpenAiSttEngine, type OpenAiSttEngineOptions } from './engine.js';
import { openAiSttHandler } from './stt-session.js';

export const OPENAI_STT_DEFAULT_PORT = 50069;

export interface OpenAiSttServerOptions extends OpenAiSttEngineOptions, EngineServerOptions {}

export interface OpenAiSttServer extends EngineServer {
  readonly engine: OpenAiSttEngine;
}

export function openAiSttService(engine: OpenAiSttEngine): UntypedServiceImplementation {
  return { Recognize: openAiSttHandler(engine) };
}

export async function startOpenAiSttServer(
  options: OpenAiSttServerOptions = {},
): Promise<OpenAiSttServer> {
  const engine = new OpenAiSttEngine(options);
  const server = await startBridgeServer('stt', openAiSttService(engine), options);
  return { ...server, close: () => server.close(), engine };
}
