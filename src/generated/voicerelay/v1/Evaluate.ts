// Original file: proto/voicerelay/v1/turn.proto


export interface Evaluate {
  'id'?: (number);
}

export interface Evaluate__Output {
  'id': (number);
}
