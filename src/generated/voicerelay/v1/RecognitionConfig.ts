// Original file: proto/voicerelay/v1/stt.proto

import type { AudioEncoding as _voicerelay_v1_AudioEncoding, AudioEncoding__Output as _voicerelay_v1_AudioEncoding__Output } from '../../voicerelay/v1/AudioEncoding.js';
import type { EndpointingConfig as _voicerelay_v1_EndpointingConfig, EndpointingConfig__Output as _voicerelay_v1_EndpointingConfig__Output } from '../../voicerelay/v1/EndpointingConfig.js';

export interface RecognitionConfig {
  'encoding'?: (_voicerelay_v1_AudioEncoding);
  'sampleRateHz'?: (number);
  /**
   * BCP-47 tag, e.g. "en-US".
   */
  'language'?: (string);
  'interimResults'?: (boolean);
  'endpointing'?: (_voicerelay_v1_EndpointingConfig | null);
  /**
   * Optional engine-specific grammar (e.g. JSGF for pocketsphinx).
   */
  'grammar'?: (string);
  /**
   * Opaque engine options from the pipeline definition.
   */
  'options'?: ({[key: string]: string});
}

export interface RecognitionConfig__Output {
  'encoding': (_voicerelay_v1_AudioEncoding__Output);
  'sampleRateHz': (number);
  /**
   * BCP-47 tag, e.g. "en-US".
   */
  'language': (string);
  'interimResults': (boolean);
  'endpointing': (_voicerelay_v1_EndpointingConfig__Output | null);
  /**
   * Optional engine-specific grammar (e.g. JSGF for pocketsphinx).
   */
  'grammar': (string);
  /**
   * Opaque engine options from the pipeline definition.
   */
  'options': ({[key: string]: string});
}
