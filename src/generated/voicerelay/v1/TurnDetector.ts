// Original file: proto/voicerelay/v1/turn.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DetectRequest as _voicerelay_v1_DetectRequest, DetectRequest__Output as _voicerelay_v1_DetectRequest__Output } from '../../voicerelay/v1/DetectRequest.js';
import type { DetectResponse as _voicerelay_v1_DetectResponse, DetectResponse__Output as _voicerelay_v1_DetectResponse__Output } from '../../voicerelay/v1/DetectResponse.js';

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
export interface TurnDetectorClient extends grpc.Client {
  Detect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_DetectRequest, _voicerelay_v1_DetectResponse__Output>;
  Detect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_DetectRequest, _voicerelay_v1_DetectResponse__Output>;
  detect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_DetectRequest, _voicerelay_v1_DetectResponse__Output>;
  detect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_DetectRequest, _voicerelay_v1_DetectResponse__Output>;
  
}

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
export interface TurnDetectorHandlers extends grpc.UntypedServiceImplementation {
  Detect: grpc.handleBidiStreamingCall<_voicerelay_v1_DetectRequest__Output, _voicerelay_v1_DetectResponse>;
  
}

export interface TurnDetectorDefinition extends grpc.ServiceDefinition {
  Detect: MethodDefinition<_voicerelay_v1_DetectRequest, _voicerelay_v1_DetectResponse, _voicerelay_v1_DetectRequest__Output, _voicerelay_v1_DetectResponse__Output>
}
