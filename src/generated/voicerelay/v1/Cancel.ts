// Original file: proto/voicerelay/v1/common.proto


/**
 * Stop all work on the stream at once. The server answers by ending the
 * stream with status CANCELLED. Clients may also cancel the call itself.
 */
export interface Cancel {
  'reason'?: (string);
}

/**
 * Stop all work on the stream at once. The server answers by ending the
 * stream with status CANCELLED. Clients may also cancel the call itself.
 */
export interface Cancel__Output {
  'reason': (string);
}
