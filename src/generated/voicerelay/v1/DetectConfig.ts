// Original file: proto/voicerelay/v1/turn.proto


export interface DetectConfig {
  'sessionId'?: (string);
  /**
   * BCP-47 tag of the caller's language, e.g. "en-US".
   */
  'language'?: (string);
  /**
   * Sample rate of `audio` (PCM16 LE mono), when the server asks for audio.
   */
  'sampleRateHz'?: (number);
}

export interface DetectConfig__Output {
  'sessionId': (string);
  /**
   * BCP-47 tag of the caller's language, e.g. "en-US".
   */
  'language': (string);
  /**
   * Sample rate of `audio` (PCM16 LE mono), when the server asks for audio.
   */
  'sampleRateHz': (number);
}
