/** A standalone gRPC server for the pocketsphinx STT engine (plus grpc.health.v1). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { stageProtos } from '../../grpc/protos.js';
import {
  SERVICE_NAMES,
  startEngineServer,
  type EngineServer,
  type EngineServerOptions,
} from '../shared/engine-server.js';
import { PocketsphinxEngine, type PocketsphinxEngineOptions } from './engine.js';
import { pocketsphinxRecognizeHandler } from './stt-session.js';

export const POCKETSPHINX_DEFAULT_PORT = 50061;

export interface PocketsphinxServerOptions extends PocketsphinxEngineOptions, EngineServerOptions {}

export interface PocketsphinxServer extends EngineServer {
  /** Counters (stats.decoderRestarts ...), call events and the decoders of this server. */
  readonly engine: PocketsphinxEngine;
}

/** The SpeechToText service implementation, for embedding in another gRPC server. */
export function pocketsphinxService(engine: PocketsphinxEngine): UntypedServiceImplementation {
  return { Recognize: pocketsphinxRecognizeHandler(engine) };
}

export async function startPocketsphinxServer(
  options: PocketsphinxServerOptions = {},
): Promise<PocketsphinxServer> {
  const engine = new PocketsphinxEngine(options);
  const server = await startEngineServer(
    [
      {
        name: SERVICE_NAMES.stt,
        definition: stageProtos().SpeechToText.service,
        implementation: pocketsphinxService(engine),
      },
    ],
    options,
  );
  return { ...server, close: () => server.close(), engine };
}
