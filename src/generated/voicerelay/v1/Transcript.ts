// Original file: proto/voicerelay/v1/stt.proto


export interface Transcript {
  'text'?: (string);
  'isFinal'?: (boolean);
  /**
   * 0..1, how likely an interim result is to change (finals are 1).
   */
  'stability'?: (number | string);
  'confidence'?: (number | string);
  /**
   * Capture times (relay clock) of the first and last voiced audio it covers.
   */
  'startTsMs'?: (number | string);
  'endTsMs'?: (number | string);
  /**
   * Increments per utterance; interim and final results of one utterance share it.
   */
  'utterance'?: (number);
  /**
   * Server time at which the first result (interim or final) of this utterance was sent.
   */
  'firstResultServerTsMs'?: (number | string);
}

export interface Transcript__Output {
  'text': (string);
  'isFinal': (boolean);
  /**
   * 0..1, how likely an interim result is to change (finals are 1).
   */
  'stability': (number);
  'confidence': (number);
  /**
   * Capture times (relay clock) of the first and last voiced audio it covers.
   */
  'startTsMs': (number);
  'endTsMs': (number);
  /**
   * Increments per utterance; interim and final results of one utterance share it.
   */
  'utterance': (number);
  /**
   * Server time at which the first result (interim or final) of this utterance was sent.
   */
  'firstResultServerTsMs': (number);
}
