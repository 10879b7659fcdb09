// Original file: proto/voicerelay/v1/tts.proto

import type { AudioEncoding as _voicerelay_v1_AudioEncoding, AudioEncoding__Output as _voicerelay_v1_AudioEncoding__Output } from '../../voicerelay/v1/AudioEncoding.js';

export interface SynthesisConfig {
  'voice'?: (string);
  'encoding'?: (_voicerelay_v1_AudioEncoding);
  'sampleRateHz'?: (number);
  /**
   * 1.0 = normal speed.
   */
  'speakingRate'?: (number | string);
  'language'?: (string);
  'options'?: ({[key: string]: string});
}

export interface SynthesisConfig__Output {
  'voice': (string);
  'encoding': (_voicerelay_v1_AudioEncoding__Output);
  'sampleRateHz': (number);
  /**
   * 1.0 = normal speed.
   */
  'speakingRate': (number);
  'language': (string);
  'options': ({[key: string]: string});
}
