import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { DetectConfig as _voicerelay_v1_DetectConfig, DetectConfig__Output as _voicerelay_v1_DetectConfig__Output } from './voicerelay/v1/DetectConfig.js';
import type { DetectReady as _voicerelay_v1_DetectReady, DetectReady__Output as _voicerelay_v1_DetectReady__Output } from './voicerelay/v1/DetectReady.js';
import type { DetectRequest as _voicerelay_v1_DetectRequest, DetectRequest__Output as _voicerelay_v1_DetectRequest__Output } from './voicerelay/v1/DetectRequest.js';
import type { DetectResponse as _voicerelay_v1_DetectResponse, DetectResponse__Output as _voicerelay_v1_DetectResponse__Output } from './voicerelay/v1/DetectResponse.js';
import type { Estimate as _voicerelay_v1_Estimate, Estimate__Output as _voicerelay_v1_Estimate__Output } from './voicerelay/v1/Estimate.js';
import type { Evaluate as _voicerelay_v1_Evaluate, Evaluate__Output as _voicerelay_v1_Evaluate__Output } from './voicerelay/v1/Evaluate.js';
import type { SpeechBoundary as _voicerelay_v1_SpeechBoundary, SpeechBoundary__Output as _voicerelay_v1_SpeechBoundary__Output } from './voicerelay/v1/SpeechBoundary.js';
import type { TurnDetectorClient as _voicerelay_v1_TurnDetectorClient, TurnDetectorDefinition as _voicerelay_v1_TurnDetectorDefinition } from './voicerelay/v1/TurnDetector.js';
import type { TurnEnded as _voicerelay_v1_TurnEnded, TurnEnded__Output as _voicerelay_v1_TurnEnded__Output } from './voicerelay/v1/TurnEnded.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  voicerelay: {
    v1: {
      DetectConfig: MessageTypeDefinition<_voicerelay_v1_DetectConfig, _voicerelay_v1_DetectConfig__Output>
      DetectReady: MessageTypeDefinition<_voicerelay_v1_DetectReady, _voicerelay_v1_DetectReady__Output>
      DetectRequest: MessageTypeDefinition<_voicerelay_v1_DetectRequest, _voicerelay_v1_DetectRequest__Output>
      DetectResponse: MessageTypeDefinition<_voicerelay_v1_DetectResponse, _voicerelay_v1_DetectResponse__Output>
      Estimate: MessageTypeDefinition<_voicerelay_v1_Estimate, _voicerelay_v1_Estimate__Output>
      Evaluate: MessageTypeDefinition<_voicerelay_v1_Evaluate, _voicerelay_v1_Evaluate__Output>
      SpeechBoundary: MessageTypeDefinition<_voicerelay_v1_SpeechBoundary, _voicerelay_v1_SpeechBoundary__Output>
      /**
       * End-of-turn detection as a service: a model server (e.g. Smart Turn or a LiveKit-style
       * text model) decides whether the caller has finished. Optional: the relay's embedded
       * detectors need no server, and the relay falls back to its embedded semantic detector
       * when this one does not answer within its latency budget.
       * 
       * One stream per session. The relay sends `config` first, then the caller's speech
       * boundaries and the transcript of the current turn as they happen, and an `evaluate`
       * whenever it needs a decision (at each speech stop, and again when the transcript
       * changes during the silence). The server answers every `evaluate` with an `estimate`
       * carrying the same id; only the answer to the latest id is used.
       */
      TurnDetector: SubtypeConstructor<typeof grpc.Client, _voicerelay_v1_TurnDetectorClient> & { service: _voicerelay_v1_TurnDetectorDefinition }
      TurnEnded: MessageTypeDefinition<_voicerelay_v1_TurnEnded, _voicerelay_v1_TurnEnded__Output>
    }
  }
}

