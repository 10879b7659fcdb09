// Original file: proto/voicerelay/v1/stt.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RecognizeRequest as _voicerelay_v1_RecognizeRequest, RecognizeRequest__Output as _voicerelay_v1_RecognizeRequest__Output } from '../../voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse as _voicerelay_v1_RecognizeResponse, RecognizeResponse__Output as _voicerelay_v1_RecognizeResponse__Output } from '../../voicerelay/v1/RecognizeResponse.js';

/**
 * Streaming speech recognition. One long-lived stream per session.
 * The first request carries `config`; every later request carries audio,
 * flush or cancel. The server echoes `request_id` on every response.
 */
export interface SpeechToTextClient extends grpc.Client {
  Recognize(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_RecognizeRequest, _voicerelay_v1_RecognizeResponse__Output>;
  Recognize(options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_RecognizeRequest, _voicerelay_v1_RecognizeResponse__Output>;
  recognize(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_RecognizeRequest, _voicerelay_v1_RecognizeResponse__Output>;
  recognize(options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_RecognizeRequest, _voicerelay_v1_RecognizeResponse__Output>;
  
}

/**
 * Streaming speech recognition. One long-lived stream per session.
 * The first request carries `config`; every later request carries audio,
 * flush or cancel. The server echoes `request_id` on every response.
 */
export interface SpeechToTextHandlers extends grpc.UntypedServiceImplementation {
  Recognize: grpc.handleBidiStreamingCall<_voicerelay_v1_RecognizeRequest__Output, _voicerelay_v1_RecognizeResponse>;
  
}

export interface SpeechToTextDefinition extends grpc.ServiceDefinition {
  Recognize: MethodDefinition<_voicerelay_v1_RecognizeRequest, _voicerelay_v1_RecognizeResponse, _voicerelay_v1_RecognizeRequest__Output, _voicerelay_v1_RecognizeResponse__Output>
}
