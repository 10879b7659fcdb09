// Original file: proto/voicerelay/v1/turn.proto

import type { DetectConfig as _voicerelay_v1_DetectConfig, DetectConfig__Output as _voicerelay_v1_DetectConfig__Output } from '../../voicerelay/v1/DetectConfig.js';
import type { SpeechBoundary as _voicerelay_v1_SpeechBoundary, SpeechBoundary__Output as _voicerelay_v1_SpeechBoundary__Output } from '../../voicerelay/v1/SpeechBoundary.js';
import type { Evaluate as _voicerelay_v1_Evaluate, Evaluate__Output as _voicerelay_v1_Evaluate__Output } from '../../voicerelay/v1/Evaluate.js';
import type { TurnEnded as _voicerelay_v1_TurnEnded, TurnEnded__Output as _voicerelay_v1_TurnEnded__Output } from '../../voicerelay/v1/TurnEnded.js';

export interface DetectRequest {
  'config'?: (_voicerelay_v1_DetectConfig | null);
  'speech'?: (_voicerelay_v1_SpeechBoundary | null);
  /**
   * The current turn's transcript so far (finals and the latest partial, joined).
   */
  'transcript'?: (string);
  'evaluate'?: (_voicerelay_v1_Evaluate | null);
  /**
   * Caller audio, 20 ms per message; sent only after a `ready` with wants_audio.
   */
  'audio'?: (Buffer | Uint8Array | string);
  /**
   * The relay ended the turn: start a new one.
   */
  'turnEnded'?: (_voicerelay_v1_TurnEnded | null);
  'kind'?: "config"|"speech"|"transcript"|"evaluate"|"audio"|"turnEnded";
}

export interface DetectRequest__Output {
  'config'?: (_voicerelay_v1_DetectConfig__Output | null);
  'speech'?: (_voicerelay_v1_SpeechBoundary__Output | null);
  /**
   * The current turn's transcript so far (finals and the latest partial, joined).
   */
  'transcript'?: (string);
  'evaluate'?: (_voicerelay_v1_Evaluate__Output | null);
  /**
   * Caller audio, 20 ms per message; sent only after a `ready` with wants_audio.
   */
  'audio'?: (Buffer);
  /**
   * The relay ended the turn: start a new one.
   */
  'turnEnded'?: (_voicerelay_v1_TurnEnded__Output | null);
  'kind'?: "config"|"speech"|"transcript"|"evaluate"|"audio"|"turnEnded";
}
