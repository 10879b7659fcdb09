// Original file: proto/voicerelay/v1/turn.proto


export interface SpeechBoundary {
  /**
   * True: the caller started speaking; false: stopped.
   */
  'speaking'?: (boolean);
  /**
   * Capture time of the boundary, epoch ms in the relay's clock.
   */
  'tsMs'?: (number | string);
}

export interface SpeechBoundary__Output {
  /**
   * True: the caller started speaking; false: stopped.
   */
  'speaking': (boolean);
  /**
   * Capture time of the boundary, epoch ms in the relay's clock.
   */
  'tsMs': (number);
}
