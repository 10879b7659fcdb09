// Original file: proto/voicerelay/v1/stt.proto


// Original file: proto/voicerelay/v1/stt.proto

export const _voicerelay_v1_SpeechEvent_Type = {
  TYPE_UNSPECIFIED: 'TYPE_UNSPECIFIED',
  SPEECH_STARTED: 'SPEECH_STARTED',
  /**
   * Speech stopped; audio_ts_ms is the capture time of the last voiced frame.
   */
  SPEECH_ENDED: 'SPEECH_ENDED',
  /**
   * The engine's endpointer decided the utterance is over.
   */
  END_OF_UTTERANCE: 'END_OF_UTTERANCE',
} as const;

export type _voicerelay_v1_SpeechEvent_Type =
  | 'TYPE_UNSPECIFIED'
  | 0
  | 'SPEECH_STARTED'
  | 1
  /**
   * Speech stopped; audio_ts_ms is the capture time of the last voiced frame.
   */
  | 'SPEECH_ENDED'
  | 2
  /**
   * The engine's endpointer decided the utterance is over.
   */
  | 'END_OF_UTTERANCE'
  | 3

export type _voicerelay_v1_SpeechEvent_Type__Output = typeof _voicerelay_v1_SpeechEvent_Type[keyof typeof _voicerelay_v1_SpeechEvent_Type]

export interface SpeechEvent {
  'type'?: (_voicerelay_v1_SpeechEvent_Type);
  /**
   * Capture time (relay clock) of the audio the event refers to.
   */
  'audioTsMs'?: (number | string);
  'utterance'?: (number);
}

export interface SpeechEvent__Output {
  'type': (_voicerelay_v1_SpeechEvent_Type__Output);
  /**
   * Capture time (relay clock) of the audio the event refers to.
   */
  'audioTsMs': (number);
  'utterance': (number);
}
