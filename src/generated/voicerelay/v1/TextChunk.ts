// Original file: proto/voicerelay/v1/tts.proto


export interface TextChunk {
  /**
   * Text to append to the turn's reply. Offsets in alignment refer to the
   * concatenation of all chunks of the stream, in UTF-16 code units.
   */
  'text'?: (string);
}

export interface TextChunk__Output {
  /**
   * Text to append to the turn's reply. Offsets in alignment refer to the
   * concatenation of all chunks of the stream, in UTF-16 code units.
   */
  'text': (string);
}
