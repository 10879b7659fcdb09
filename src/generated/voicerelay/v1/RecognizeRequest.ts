// Original file: proto/voicerelay/v1/stt.proto

import type { RecognitionConfig as _voicerelay_v1_RecognitionConfig, RecognitionConfig__Output as _voicerelay_v1_RecognitionConfig__Output } from '../../voicerelay/v1/RecognitionConfig.js';
import type { AudioChunk as _voicerelay_v1_AudioChunk, AudioChunk__Output as _voicerelay_v1_AudioChunk__Output } from '../../voicerelay/v1/AudioChunk.js';
import type { Flush as _voicerelay_v1_Flush, Flush__Output as _voicerelay_v1_Flush__Output } from '../../voicerelay/v1/Flush.js';
import type { Cancel as _voicerelay_v1_Cancel, Cancel__Output as _voicerelay_v1_Cancel__Output } from '../../voicerelay/v1/Cancel.js';

export interface RecognizeRequest {
  'requestId'?: (string);
  'config'?: (_voicerelay_v1_RecognitionConfig | null);
  'audio'?: (_voicerelay_v1_AudioChunk | null);
  'flush'?: (_voicerelay_v1_Flush | null);
  'cancel'?: (_voicerelay_v1_Cancel | null);
  'kind'?: "config"|"audio"|"flush"|"cancel";
}

export interface RecognizeRequest__Output {
  'requestId': (string);
  'config'?: (_voicerelay_v1_RecognitionConfig__Output | null);
  'audio'?: (_voicerelay_v1_AudioChunk__Output | null);
  'flush'?: (_voicerelay_v1_Flush__Output | null);
  'cancel'?: (_voicerelay_v1_Cancel__Output | null);
  'kind'?: "config"|"audio"|"flush"|"cancel";
}
