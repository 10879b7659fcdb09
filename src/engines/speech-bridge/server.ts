/** A standalone gRPC server for one provider bridge (plus grpc.health.v1). */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { stageProtos } from '../../grpc/protos.js';
import {
  SERVICE_NAMES,
  startEngineServer,
  type EngineServer,
  type EngineServerOptions,
} from '../shared/engine-server.js';

export type BridgeStage = 'stt' | 'tts';

export async function startBridgeServer(
  stage: BridgeStage,
  implementation: UntypedServiceImplementation,
  options: EngineServerOptions,
  onClose: () => void = () => undefined,
): Promise<EngineServer> {
  const p = stageProtos();
  return startEngineServer(
    [
      {
        name: SERVICE_NAMES[stage],
        definition: stage === 'stt' ? p.SpeechToText.service : p.TextToSpeech.service,
        implementation,
      },
    ],
    options,
    onClose,
  );
}
