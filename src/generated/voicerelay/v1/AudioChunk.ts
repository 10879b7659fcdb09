// Original file: proto/voicerelay/v1/stt.proto


export interface AudioChunk {
  /**
   * Frame sequence number (wraps at 2^32).
   */
  'seq'?: (number);
  /**
   * Capture time of the first sample, epoch milliseconds in the relay's clock.
   */
  'captureTsMs'?: (number | string);
  'audio'?: (Buffer | Uint8Array | string);
  /**
   * The relay concealed a lost frame with this chunk (it carries no real audio).
   */
  'concealed'?: (boolean);
}

export interface AudioChunk__Output {
  /**
   * Frame sequence number (wraps at 2^32).
   */
  'seq': (number);
  /**
   * Capture time of the first sample, epoch milliseconds in the relay's clock.
   */
  'captureTsMs': (number);
  'audio': (Buffer);
  /**
   * The relay concealed a lost frame with this chunk (it carries no real audio).
   */
  'concealed': (boolean);
}
