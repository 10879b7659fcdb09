/** A standalone gRPC server bridging LanguageModel to an OpenAI-compatible endpoint. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { stageProtos } from '../../grpc/protos.js';
import {
  SERVICE_NAMES,
  startEngineServer,
  type EngineServer,
  type EngineServerOptions,
} from '../shared/engine-server.js';
import { OpenAiEngine, type OpenAiEngineOptions } from './engine.js';
import { openAiGenerateHandler } from './generate.js';

export const OPENAI_DEFAULT_PORT = 50064;

export interface OpenAiServerOptions extends OpenAiEngineOptions, EngineServerOptions {}

export interface OpenAiServer extends EngineServer {
  readonly engine: OpenAiEngine;
}

/** The LanguageModel service implementation, for embedding in another gRPC server. */
export function openAiService(engine: OpenAiEngine): UntypedServiceImplementation {
  return { Generate: openAiGenerateHandler(engine) };
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const engine = new OpenAiEngine(options);
  const server = await startEngineServer(
    [
      {
        name: SERVICE_NAMES.llm,
        definition: stageProtos().LanguageModel.service,
        implementation: openAiService(engine),
      },
    ],
    options,
  );
  return { ...server, close: () => server.close(), engine };
}
