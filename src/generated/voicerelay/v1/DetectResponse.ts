// Original file: proto/voicerelay/v1/turn.proto

import type { DetectReady as _voicerelay_v1_DetectReady, DetectReady__Output as _voicerelay_v1_DetectReady__Output } from '../../voicerelay/v1/DetectReady.js';
import type { Estimate as _voicerelay_v1_Estimate, Estimate__Output as _voicerelay_v1_Estimate__Output } from '../../voicerelay/v1/Estimate.js';

export interface DetectResponse {
  /**
   * Sent once, first.
   */
  'ready'?: (_voicerelay_v1_DetectReady | null);
  'estimate'?: (_voicerelay_v1_Estimate | null);
  'kind'?: "ready"|"estimate";
}

export interface DetectResponse__Output {
  /**
   * Sent once, first.
   */
  'ready'?: (_voicerelay_v1_DetectReady__Output | null);
  'estimate'?: (_voicerelay_v1_Estimate__Output | null);
  'kind'?: "ready"|"estimate";
}
