// Original file: proto/voicerelay/v1/llm.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GenerateRequest as _voicerelay_v1_GenerateRequest, GenerateRequest__Output as _voicerelay_v1_GenerateRequest__Output } from '../../voicerelay/v1/GenerateRequest.js';
import type { GenerateResponse as _voicerelay_v1_GenerateResponse, GenerateResponse__Output as _voicerelay_v1_GenerateResponse__Output } from '../../voicerelay/v1/GenerateResponse.js';

/**
 * Text generation. One server stream per turn.
 */
export interface LanguageModelClient extends grpc.Client {
  Generate(argument: _voicerelay_v1_GenerateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_voicerelay_v1_GenerateResponse__Output>;
  Generate(argument: _voicerelay_v1_GenerateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_voicerelay_v1_GenerateResponse__Output>;
  generate(argument: _voicerelay_v1_GenerateRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_voicerelay_v1_GenerateResponse__Output>;
  generate(argument: _voicerelay_v1_GenerateRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_voicerelay_v1_GenerateResponse__Output>;
  
}

/**
 * Text generation. One server stream per turn.
 */
export interface LanguageModelHandlers extends grpc.UntypedServiceImplementation {
  Generate: grpc.handleServerStreamingCall<_voicerelay_v1_GenerateRequest__Output, _voicerelay_v1_GenerateResponse>;
  
}

export interface LanguageModelDefinition extends grpc.ServiceDefinition {
  Generate: MethodDefinition<_voicerelay_v1_GenerateRequest, _voicerelay_v1_GenerateResponse, _voicerelay_v1_GenerateRequest__Output, _voicerelay_v1_GenerateResponse__Output>
}
