// Original file: proto/voicerelay/v1/llm.proto

import type { Role as _voicerelay_v1_Role, Role__Output as _voicerelay_v1_Role__Output } from '../../voicerelay/v1/Role.js';
import type { ToolCall as _voicerelay_v1_ToolCall, ToolCall__Output as _voicerelay_v1_ToolCall__Output } from '../../voicerelay/v1/ToolCall.js';

export interface ChatMessage {
  'role'?: (_voicerelay_v1_Role);
  'content'?: (string);
  /**
   * ASSISTANT: the tool calls of this message (content may be empty).
   */
  'toolCalls'?: (_voicerelay_v1_ToolCall)[];
  /**
   * TOOL: the call this message answers.
   */
  'toolCallId'?: (string);
}

export interface ChatMessage__Output {
  'role': (_voicerelay_v1_Role__Output);
  'content': (string);
  /**
   * ASSISTANT: the tool calls of this message (content may be empty).
   */
  'toolCalls': (_voicerelay_v1_ToolCall__Output)[];
  /**
   * TOOL: the call this message answers.
   */
  'toolCallId': (string);
}
