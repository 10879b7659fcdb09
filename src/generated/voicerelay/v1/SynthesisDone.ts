// Original file: proto/voicerelay/v1/tts.proto


export interface SynthesisDone {
  'totalAudioMs'?: (number | string);
}

export interface SynthesisDone__Output {
  'totalAudioMs': (number);
}
