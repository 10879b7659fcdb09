// Original file: proto/voicerelay/v1/stt.proto


export interface EndpointingConfig {
  /**
   * Trailing silence after speech that ends an utterance (0 = engine default).
   */
  'silenceMs'?: (number);
  /**
   * Shortest voiced run counted as speech (0 = engine default).
   */
  'minSpeechMs'?: (number);
  /**
   * Force an utterance end after this much speech (0 = no limit).
   */
  'maxUtteranceMs'?: (number);
}

export interface EndpointingConfig__Output {
  /**
   * Trailing silence after speech that ends an utterance (0 = engine default).
   */
  'silenceMs': (number);
  /**
   * Shortest voiced run counted as speech (0 = engine default).
   */
  'minSpeechMs': (number);
  /**
   * Force an utterance end after this much speech (0 = no limit).
   */
  'maxUtteranceMs': (number);
}
