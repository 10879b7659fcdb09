import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ChatMessage as _voicerelay_v1_ChatMessage, ChatMessage__Output as _voicerelay_v1_ChatMessage__Output } from './voicerelay/v1/ChatMessage.js';
import type { GenerateRequest as _voicerelay_v1_GenerateRequest, GenerateRequest__Output as _voicerelay_v1_GenerateRequest__Output } from './voicerelay/v1/GenerateRequest.js';
import type { GenerateResponse as _voicerelay_v1_GenerateResponse, GenerateResponse__Output as _voicerelay_v1_GenerateResponse__Output } from './voicerelay/v1/GenerateResponse.js';
import type { LanguageModelClient as _voicerelay_v1_LanguageModelClient, LanguageModelDefinition as _voicerelay_v1_LanguageModelDefinition } from './voicerelay/v1/LanguageModel.js';
import type { ModelParameters as _voicerelay_v1_ModelParameters, ModelParameters__Output as _voicerelay_v1_ModelParameters__Output } from './voicerelay/v1/ModelParameters.js';
import type { TextDelta as _voicerelay_v1_TextDelta, TextDelta__Output as _voicerelay_v1_TextDelta__Output } from './voicerelay/v1/TextDelta.js';
import type { ToolCall as _voicerelay_v1_ToolCall, ToolCall__Output as _voicerelay_v1_ToolCall__Output } from './voicerelay/v1/ToolCall.js';
import type { ToolCallDelta as _voicerelay_v1_ToolCallDelta, ToolCallDelta__Output as _voicerelay_v1_ToolCallDelta__Output } from './voicerelay/v1/ToolCallDelta.js';
import type { ToolDeclaration as _voicerelay_v1_ToolDeclaration, ToolDeclaration__Output as _voicerelay_v1_ToolDeclaration__Output } from './voicerelay/v1/ToolDeclaration.js';
import type { Usage as _voicerelay_v1_Usage, Usage__Output as _voicerelay_v1_Usage__Output } from './voicerelay/v1/Usage.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  voicerelay: {
    v1: {
      ChatMessage: MessageTypeDefinition<_voicerelay_v1_ChatMessage, _voicerelay_v1_ChatMessage__Output>
      FinishReason: EnumTypeDefinition
      GenerateRequest: MessageTypeDefinition<_voicerelay_v1_GenerateRequest, _voicerelay_v1_GenerateRequest__Output>
      GenerateResponse: MessageTypeDefinition<_voicerelay_v1_GenerateResponse, _voicerelay_v1_GenerateResponse__Output>
      /**
       * Text generation. One server stream per turn.
       */
      LanguageModel: SubtypeConstructor<typeof grpc.Client, _voicerelay_v1_LanguageModelClient> & { service: _voicerelay_v1_LanguageModelDefinition }
      ModelParameters: MessageTypeDefinition<_voicerelay_v1_ModelParameters, _voicerelay_v1_ModelParameters__Output>
      Role: EnumTypeDefinition
      TextDelta: MessageTypeDefinition<_voicerelay_v1_TextDelta, _voicerelay_v1_TextDelta__Output>
      ToolCall: MessageTypeDefinition<_voicerelay_v1_ToolCall, _voicerelay_v1_ToolCall__Output>
      ToolCallDelta: MessageTypeDefinition<_voicerelay_v1_ToolCallDelta, _voicerelay_v1_ToolCallDelta__Output>
      ToolDeclaration: MessageTypeDefinition<_voicerelay_v1_ToolDeclaration, _voicerelay_v1_ToolDeclaration__Output>
      Usage: MessageTypeDefinition<_voicerelay_v1_Usage, _voicerelay_v1_Usage__Output>
    }
  }
}

