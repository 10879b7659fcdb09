// Original file: proto/voicerelay/v1/tts.proto

import type { TextSpan as _voicerelay_v1_TextSpan, TextSpan__Output as _voicerelay_v1_TextSpan__Output } from '../../voicerelay/v1/TextSpan.js';

export interface AudioOut {
  'audio'?: (Buffer | Uint8Array | string);
  'seq'?: (number);
  'span'?: (_voicerelay_v1_TextSpan | null);
  /**
   * Duration of `audio` in milliseconds.
   */
  'durationMs'?: (number | string);
}

export interface AudioOut__Output {
  'audio': (Buffer);
  'seq': (number);
  'span': (_voicerelay_v1_TextSpan__Output | null);
  /**
   * Duration of `audio` in milliseconds.
   */
  'durationMs': (number);
}
