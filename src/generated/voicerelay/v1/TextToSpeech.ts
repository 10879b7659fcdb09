// Original file: proto/voicerelay/v1/tts.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { SynthesizeRequest as _voicerelay_v1_SynthesizeRequest, SynthesizeRequest__Output as _voicerelay_v1_SynthesizeRequest__Output } from '../../voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse as _voicerelay_v1_SynthesizeResponse, SynthesizeResponse__Output as _voicerelay_v1_SynthesizeResponse__Output } from '../../voicerelay/v1/SynthesizeResponse.js';

/**
 * Streaming synthesis. One bidi stream per turn: config first, then text
 * chunks as the reply forms, then Flush (or half-close) when the text is
 * complete. Every audio chunk says which text it completes (alignment).
 */
export interface TextToSpeechClient extends grpc.Client {
  Synthesize(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_SynthesizeRequest, _voicerelay_v1_SynthesizeResponse__Output>;
  Synthesize(options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_SynthesizeRequest, _voicerelay_v1_SynthesizeResponse__Output>;
  synthesize(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_SynthesizeRequest, _voicerelay_v1_SynthesizeResponse__Output>;
  synthesize(options?: grpc.CallOptions): grpc.ClientDuplexStream<_voicerelay_v1_SynthesizeRequest, _voicerelay_v1_SynthesizeResponse__Output>;
  
}

/**
 * Streaming synthesis. One bidi stream per turn: config first, then text
 * chunks as the reply forms, then Flush (or half-close) when the text is
 * complete. Every audio chunk says which text it completes (alignment).
 */
export interface TextToSpeechHandlers extends grpc.UntypedServiceImplementation {
  Synthesize: grpc.handleBidiStreamingCall<_voicerelay_v1_SynthesizeRequest__Output, _voicerelay_v1_SynthesizeResponse>;
  
}

export interface TextToSpeechDefinition extends grpc.ServiceDefinition {
  Synthesize: MethodDefinition<_voicerelay_v1_SynthesizeRequest, _voicerelay_v1_SynthesizeResponse, _voicerelay_v1_SynthesizeRequest__Output, _voicerelay_v1_SynthesizeResponse__Output>
}
