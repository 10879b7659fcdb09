// Original file: proto/voicerelay/v1/turn.proto


export interface Estimate {
  /**
   * Echo of Evaluate.id.
   */
  'id'?: (number);
  /**
   * 0..1: probability that the caller has finished their turn.
   */
  'probability'?: (number | string);
}

export interface Estimate__Output {
  /**
   * Echo of Evaluate.id.
   */
  'id': (number);
  /**
   * 0..1: probability that the caller has finished their turn.
   */
  'probability': (number);
}
