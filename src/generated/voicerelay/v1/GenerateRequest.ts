// Original file: proto/voicerelay/v1/llm.proto

import type { ChatMessage as _voicerelay_v1_ChatMessage, ChatMessage__Output as _voicerelay_v1_ChatMessage__Output } from '../../voicerelay/v1/ChatMessage.js';
import type { ModelParameters as _voicerelay_v1_ModelParameters, ModelParameters__Output as _voicerelay_v1_ModelParameters__Output } from '../../voicerelay/v1/ModelParameters.js';
import type { ToolDeclaration as _voicerelay_v1_ToolDeclaration, ToolDeclaration__Output as _voicerelay_v1_ToolDeclaration__Output } from '../../voicerelay/v1/ToolDeclaration.js';

export interface GenerateRequest {
  'requestId'?: (string);
  'turnId'?: (string);
  'sessionId'?: (string);
  'messages'?: (_voicerelay_v1_ChatMessage)[];
  'params'?: (_voicerelay_v1_ModelParameters | null);
  /**
   * Tools the model may call this turn (none: plain text generation).
   */
  'tools'?: (_voicerelay_v1_ToolDeclaration)[];
}

export interface GenerateRequest__Output {
  'requestId': (string);
  'turnId': (string);
  'sessionId': (string);
  'messages': (_voicerelay_v1_ChatMessage__Output)[];
  'params': (_voicerelay_v1_ModelParameters__Output | null);
  /**
   * Tools the model may call this turn (none: plain text generation).
   */
  'tools': (_voicerelay_v1_ToolDeclaration__Output)[];
}
