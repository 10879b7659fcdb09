// Original file: proto/voicerelay/v1/llm.proto


export interface Usage {
  'promptTokens'?: (number);
  'completionTokens'?: (number);
}

export interface Usage__Output {
  'promptTokens': (number);
  'completionTokens': (number);
}
