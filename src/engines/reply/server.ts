/** A standalone gRPC server for the offline reply engine (plus grpc.health.v1). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { stageProtos } from '../../grpc/protos.js';
import {
  SERVICE_NAMES,
  startEngineServer,
  type EngineServer,
  type EngineServerOptions,
} from '../shared/engine-server.js';
import { ReplyEngine, replyGenerateHandler, type ReplyEngineOptions } from './reply-engine.js';

export const REPLY_DEFAULT_PORT = 50062;

export interface ReplyServerOptions extends ReplyEngineOptions, EngineServerOptions {}

export interface ReplyServer extends EngineServer {
  readonly engine: ReplyEngine;
}

/** The LanguageModel service implementation, for embedding in another gRPC server. */
export function replyService(engine: ReplyEngine): UntypedServiceImplementation {
  return { Generate: replyGenerateHandler(engine) };
}

export async function startReplyServer(options: ReplyServerOptions = {}): Promise<ReplyServer> {
  const engine = new ReplyEngine(options);
  const server = await startEngineServer(
    [
      {
        name: SERVICE_NAMES.llm,
        definition: stageProtos().LanguageModel.service,
        implementation: replyService(engine),
      },
    ],
    options,
  );
  return { ...server, close: () => server.close(), engine };
}
