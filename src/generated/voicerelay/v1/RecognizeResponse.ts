// Original file: proto/voicerelay/v1/stt.proto

import type { Transcript as _voicerelay_v1_Transcript, Transcript__Output as _voicerelay_v1_Transcript__Output } from '../../voicerelay/v1/Transcript.js';
import type { SpeechEvent as _voicerelay_v1_SpeechEvent, SpeechEvent__Output as _voicerelay_v1_SpeechEvent__Output } from '../../voicerelay/v1/SpeechEvent.js';
import type { FlushDone as _voicerelay_v1_FlushDone, FlushDone__Output as _voicerelay_v1_FlushDone__Output } from '../../voicerelay/v1/FlushDone.js';
import type { Capabilities as _voicerelay_v1_Capabilities, Capabilities__Output as _voicerelay_v1_Capabilities__Output } from '../../voicerelay/v1/Capabilities.js';
import type { AudioProgress as _voicerelay_v1_AudioProgress, AudioProgress__Output as _voicerelay_v1_AudioProgress__Output } from '../../voicerelay/v1/AudioProgress.js';

export interface RecognizeResponse {
  'requestId'?: (string);
  /**
   * Echo of the turn id from the last Flush, when answering it.
   */
  'turnId'?: (string);
  /**
   * Server clock (epoch ms) when this response was sent.
   */
  'serverTsMs'?: (number | string);
  'transcript'?: (_voicerelay_v1_Transcript | null);
  'speechEvent'?: (_voicerelay_v1_SpeechEvent | null);
  'flushDone'?: (_voicerelay_v1_FlushDone | null);
  /**
   * Sent once, first, after the config was accepted.
   */
  'ready'?: (_voicerelay_v1_Capabilities | null);
  /**
   * How much audio the engine has read so far (engines with `audio_progress`).
   */
  'progress'?: (_voicerelay_v1_AudioProgress | null);
  'kind'?: "transcript"|"speechEvent"|"flushDone"|"ready"|"progress";
}

export interface RecognizeResponse__Output {
  'requestId': (string);
  /**
   * Echo of the turn id from the last Flush, when answering it.
   */
  'turnId': (string);
  /**
   * Server clock (epoch ms) when this response was sent.
   */
  'serverTsMs': (number);
  'transcript'?: (_voicerelay_v1_Transcript__Output | null);
  'speechEvent'?: (_voicerelay_v1_SpeechEvent__Output | null);
  'flushDone'?: (_voicerelay_v1_FlushDone__Output | null);
  /**
   * Sent once, first, after the config was accepted.
   */
  'ready'?: (_voicerelay_v1_Capabilities__Output | null);
  /**
   * How much audio the engine has read so far (engines with `audio_progress`).
   */
  'progress'?: (_voicerelay_v1_AudioProgress__Output | null);
  'kind'?: "transcript"|"speechEvent"|"flushDone"|"ready"|"progress";
}
