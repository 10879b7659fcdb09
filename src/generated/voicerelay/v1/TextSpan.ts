// Original file: proto/voicerelay/v1/tts.proto


export interface TextSpan {
  /**
   * [start, end) in the stream's concatenated text. Once this chunk has been
   * played in full, every character before `end` has been spoken completely.
   */
  'start'?: (number);
  'end'?: (number);
}

export interface TextSpan__Output {
  /**
   * [start, end) in the stream's concatenated text. Once this chunk has been
   * played in full, every character before `end` has been spoken completely.
   */
  'start': (number);
  'end': (number);
}
