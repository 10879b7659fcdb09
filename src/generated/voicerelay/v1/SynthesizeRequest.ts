// Original file: proto/voicerelay/v1/tts.proto

import type { SynthesisConfig as _voicerelay_v1_SynthesisConfig, SynthesisConfig__Output as _voicerelay_v1_SynthesisConfig__Output } from '../../voicerelay/v1/SynthesisConfig.js';
import type { TextChunk as _voicerelay_v1_TextChunk, TextChunk__Output as _voicerelay_v1_TextChunk__Output } from '../../voicerelay/v1/TextChunk.js';
import type { Flush as _voicerelay_v1_Flush, Flush__Output as _voicerelay_v1_Flush__Output } from '../../voicerelay/v1/Flush.js';
import type { Cancel as _voicerelay_v1_Cancel, Cancel__Output as _voicerelay_v1_Cancel__Output } from '../../voicerelay/v1/Cancel.js';

export interface SynthesizeRequest {
  'requestId'?: (string);
  'turnId'?: (string);
  'config'?: (_voicerelay_v1_SynthesisConfig | null);
  'text'?: (_voicerelay_v1_TextChunk | null);
  'flush'?: (_voicerelay_v1_Flush | null);
  'cancel'?: (_voicerelay_v1_Cancel | null);
  'kind'?: "config"|"text"|"flush"|"cancel";
}

export interface SynthesizeRequest__Output {
  'requestId': (string);
  'turnId': (string);
  'config'?: (_voicerelay_v1_SynthesisConfig__Output | null);
  'text'?: (_voicerelay_v1_TextChunk__Output | null);
  'flush'?: (_voicerelay_v1_Flush__Output | null);
  'cancel'?: (_voicerelay_v1_Cancel__Output | null);
  'kind'?: "config"|"text"|"flush"|"cancel";
}
