// Original file: proto/voicerelay/v1/llm.proto

import type { TextDelta as _voicerelay_v1_TextDelta, TextDelta__Output as _voicerelay_v1_TextDelta__Output } from '../../voicerelay/v1/TextDelta.js';
import type { Usage as _voicerelay_v1_Usage, Usage__Output as _voicerelay_v1_Usage__Output } from '../../voicerelay/v1/Usage.js';
import type { FinishReason as _voicerelay_v1_FinishReason, FinishReason__Output as _voicerelay_v1_FinishReason__Output } from '../../voicerelay/v1/FinishReason.js';
import type { ToolCallDelta as _voicerelay_v1_ToolCallDelta, ToolCallDelta__Output as _voicerelay_v1_ToolCallDelta__Output } from '../../voicerelay/v1/ToolCallDelta.js';

export interface GenerateResponse {
  'requestId'?: (string);
  'turnId'?: (string);
  /**
   * Server clock (epoch ms) when this response was sent; the first delta's
   * value is the server's first-token time.
   */
  'serverTsMs'?: (number | string);
  'delta'?: (_voicerelay_v1_TextDelta | null);
  'usage'?: (_voicerelay_v1_Usage | null);
  'finish'?: (_voicerelay_v1_FinishReason);
  'toolCall'?: (_voicerelay_v1_ToolCallDelta | null);
  'kind'?: "delta"|"usage"|"finish"|"toolCall";
}

export interface GenerateResponse__Output {
  'requestId': (string);
  'turnId': (string);
  /**
   * Server clock (epoch ms) when this response was sent; the first delta's
   * value is the server's first-token time.
   */
  'serverTsMs': (number);
  'delta'?: (_voicerelay_v1_TextDelta__Output | null);
  'usage'?: (_voicerelay_v1_Usage__Output | null);
  'finish'?: (_voicerelay_v1_FinishReason__Output);
  'toolCall'?: (_voicerelay_v1_ToolCallDelta__Output | null);
  'kind'?: "delta"|"usage"|"finish"|"toolCall";
}
