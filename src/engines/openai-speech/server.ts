/** A standalone gRPC server bridging TextToSpeech to an OpenAI-compatible /audio/speech. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EngineServer, EngineServerOptions } from '../shared/engine-server.js';
import { startBridgeServer } from '../speech-bridge/server.js';
import { OpenAiSpeechEngine, type OpenAiSpeechEngineOptions } from './engine.js';
import { openAiSpeechHandler } from './tts-session.js';

export const OPENAI_SPEECH_DEFAULT_PORT = 50068;

export interface OpenAiSpeechServerOptions extends OpenAiSpeechEngineOptions, EngineServerOptions {}

export interface OpenAiSpeechServer extends EngineServer {
  readonly engine: OpenAiSpeechEngine;
}

export function openAiSpeechService(engine: OpenAiSpeechEngine): UntypedServiceImplementation {
  return { Synthesize: openAiSpeechHandler(engine) };
}

export async function startOpenAiSpeechServer(
  options: OpenAiSpeechServerOptions = {},
): Promise<OpenAiSpeechServer> {
  const engine = new OpenAiSpeechEngine(options);
  const server = await startBridgeServer('tts', openAiSpeechService(engine), options);
  return { ...server, close: () => server.close(), engine };
}
