// Original file: proto/voicerelay/v1/turn.proto


export interface DetectReady {
  /**
   * Send the caller's audio on this stream (for acoustic models).
   */
  'wantsAudio'?: (boolean);
  'model'?: (string);
}

export interface DetectReady__Output {
  /**
   * Send the caller's audio on this stream (for acoustic models).
   */
  'wantsAudio': (boolean);
  'model': (string);
}
