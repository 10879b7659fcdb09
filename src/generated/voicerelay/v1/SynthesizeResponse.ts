// Original file: proto/voicerelay/v1/tts.proto

import type { AudioOut as _voicerelay_v1_AudioOut, AudioOut__Output as _voicerelay_v1_AudioOut__Output } from '../../voicerelay/v1/AudioOut.js';
import type { FlushDone as _voicerelay_v1_FlushDone, FlushDone__Output as _voicerelay_v1_FlushDone__Output } from '../../voicerelay/v1/FlushDone.js';
import type { SynthesisDone as _voicerelay_v1_SynthesisDone, SynthesisDone__Output as _voicerelay_v1_SynthesisDone__Output } from '../../voicerelay/v1/SynthesisDone.js';

export interface SynthesizeResponse {
  'requestId'?: (string);
  'turnId'?: (string);
  /**
   * Server clock (epoch ms) when this response was sent.
   */
  'serverTsMs'?: (number | string);
  /**
   * Server clock when the first audio of the stream was produced (set on every audio chunk).
   */
  'firstAudioServerTsMs'?: (number | string);
  'audio'?: (_voicerelay_v1_AudioOut | null);
  'flushDone'?: (_voicerelay_v1_FlushDone | null);
  'done'?: (_voicerelay_v1_SynthesisDone | null);
  'kind'?: "audio"|"flushDone"|"done";
}

export interface SynthesizeResponse__Output {
  'requestId': (string);
  'turnId': (string);
  /**
   * Server clock (epoch ms) when this response was sent.
   */
  'serverTsMs': (number);
  /**
   * Server clock when the first audio of the stream was produced (set on every audio chunk).
   */
  'firstAudioServerTsMs': (number);
  'audio'?: (_voicerelay_v1_AudioOut__Output | null);
  'flushDone'?: (_voicerelay_v1_FlushDone__Output | null);
  'done'?: (_voicerelay_v1_SynthesisDone__Output | null);
  'kind'?: "audio"|"flushDone"|"done";
}
