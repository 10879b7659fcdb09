/** A standalone gRPC server for the espeak-ng TTS engine (plus grpc.health.v1). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { stageProtos } from '../../grpc/protos.js';
import {
  SERVICE_NAMES,
  startEngineServer,
  type EngineServer,
  type EngineServerOptions,
} from '../shared/engine-server.js';
import { EspeakEngine, type EspeakEngineOptions } from './engine.js';
import { espeakSynthesizeHandler } from './tts-session.js';

export const ESPEAK_DEFAULT_PORT = 50063;

export interface EspeakServerOptions extends EspeakEngineOptions, EngineServerOptions {}

export interface EspeakServer extends EngineServer {
  /** Counters, call events and the espeak-ng processes of this server. */
  readonly engine: EspeakEngine;
}

/** The TextToSpeech service implementation, for embedding in another gRPC server. */
export function espeakService(engine: EspeakEngine): UntypedServiceImplementation {
  return { Synthesize: espeakSynthesizeHandler(engine) };
}

export async function startEspeakServer(options: EspeakServerOptions = {}): Promise<EspeakServer> {
  const engine = new EspeakEngine(options);
  const server = await startEngineServer(
    [
      {
        name: SERVICE_NAMES.tts,
        definition: stageProtos().TextToSpeech.service,
        implementation: espeakService(engine),
      },
    ],
    options,
  );
  return { ...server, close: () => server.close(), engine };
}
