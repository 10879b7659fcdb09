// Original file: proto/voicerelay/v1/llm.proto


export interface TextDelta {
  'text'?: (string);
  /**
   * Index of this delta in the reply (0-based).
   */
  'index'?: (number);
}

export interface TextDelta__Output {
  'text': (string);
  /**
   * Index of this delta in the reply (0-based).
   */
  'index': (number);
}
