// Original file: proto/voicerelay/v1/llm.proto


export interface ModelParameters {
  'model'?: (string);
  'temperature'?: (number | string);
  'maxTokens'?: (number);
  'topP'?: (number | string);
  'stop'?: (string)[];
  'extra'?: ({[key: string]: string});
}

export interface ModelParameters__Output {
  'model': (string);
  'temperature': (number);
  'maxTokens': (number);
  'topP': (number);
  'stop': (string)[];
  'extra': ({[key: string]: string});
}
