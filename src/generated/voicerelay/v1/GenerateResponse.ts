// Original file: proto/voicerelay/v1/llm.proto

import type { TextDelta as _voicerelay_v1_TextDelta, TextDelta__Output as _voicerelay_v1_TextDelta__Output } from '../../voicerelay/v1/TextDelta.js';
import type { Usage as _voicerelay_v1_Usage, Usage__Output as _voicerelay_v1_Usage__Output } from '../../voicerelay/v1/Usage.js';
import type { FinishReason as _voicerelay_v1_FinishReason, FinishReason__Output as _voicerelay_v1_FinishReason__Output } from '../../voicerelay/v1/FinishReason.js';

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
  'kind'?: "delta"|"usage"|"finish";
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
  'kind'?: "delta"|"usage"|"finish";
}
