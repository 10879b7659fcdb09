// Original file: proto/voicerelay/v1/stt.proto


export interface Capabilities {
  'partialResults'?: (boolean);
  'speechEvents'?: (boolean);
  'grammar'?: (boolean);
  'sampleRatesHz'?: (number)[];
  'engine'?: (string);
  /**
   * The engine sends AudioProgress (see above).
   */
  'audioProgress'?: (boolean);
}

export interface Capabilities__Output {
  'partialResults': (boolean);
  'speechEvents': (boolean);
  'grammar': (boolean);
  'sampleRatesHz': (number)[];
  'engine': (string);
  /**
   * The engine sends AudioProgress (see above).
   */
  'audioProgress': (boolean);
}
