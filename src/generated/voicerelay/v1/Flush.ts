// Original file: proto/voicerelay/v1/common.proto


/**
 * Ask the server to finish the current unit of work now (STT: finalise the
 * current utterance; TTS: synthesise all text received so far) and to answer
 * with a FlushDone carrying the same turn_id.
 */
export interface Flush {
  'turnId'?: (string);
}

/**
 * Ask the server to finish the current unit of work now (STT: finalise the
 * current utterance; TTS: synthesise all text received so far) and to answer
 * with a FlushDone carrying the same turn_id.
 */
export interface Flush__Output {
  'turnId': (string);
}
