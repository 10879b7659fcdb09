import type { StageClients } from './stage-clients.js';
import type {
  PhraseCache,
  SttStage,
  SttStageRequest,
  StageFactory,
  TurnStages,
} from './stage-ports.js';
import { sharedTtsCache } from './tts-cache.js';
import { SttStream } from './stt-stream.js';
import { GrpcTurnStages } from './turn-stages.js';

/** The stages over gRPC: every session's streams on the process's shared stage clients. */
export function grpcStageFactory(clients: StageClients): StageFactory {
  const turns = new GrpcTurnStages(clients);
  return {
    openStt: (req: SttStageRequest): SttStage => new SttStream({ ...req, clients }),
    turnStages: (): TurnStages => turns,
    phraseCache: (): PhraseCache => sharedTtsCache,
  };
}
