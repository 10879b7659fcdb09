// Original file: proto/voicerelay/v1/common.proto

/**
 * Audio encodings understood by the stages. Audio is always mono.
 */
export const AudioEncoding = {
  AUDIO_ENCODING_UNSPECIFIED: 'AUDIO_ENCODING_UNSPECIFIED',
  /**
   * Signed 16-bit little-endian PCM.
   */
  LINEAR16: 'LINEAR16',
  /**
   * G.711 mu-law, 8 bits per sample.
   */
  MULAW: 'MULAW',
  /**
   * G.711 A-law, 8 bits per sample.
   */
  ALAW: 'ALAW',
} as const;

/**
 * Audio encodings understood by the stages. Audio is always mono.
 */
export type AudioEncoding =
  | 'AUDIO_ENCODING_UNSPECIFIED'
  | 0
  /**
   * Signed 16-bit little-endian PCM.
   */
  | 'LINEAR16'
  | 1
  /**
   * G.711 mu-law, 8 bits per sample.
   */
  | 'MULAW'
  | 2
  /**
   * G.711 A-law, 8 bits per sample.
   */
  | 'ALAW'
  | 3

/**
 * Audio encodings understood by the stages. Audio is always mono.
 */
export type AudioEncoding__Output = typeof AudioEncoding[keyof typeof AudioEncoding]
