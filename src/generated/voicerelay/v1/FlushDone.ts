// Original file: proto/voicerelay/v1/common.proto


export interface FlushDone {
  'turnId'?: (string);
}

export interface FlushDone__Output {
  'turnId': (string);
}
