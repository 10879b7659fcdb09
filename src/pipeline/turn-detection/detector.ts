/**
 * The turn-detector seam: the single answer to "has the caller finished?". A detector is
 * fed the VAD's speech start/stop, the STT's partials and finals, the caller's audio
 * frames (for detectors that read prosody) and the passing of time; it returns an
 * end-of-turn probability and the silence to wait before ending the turn.
 *
 * Detectors are pure and synchronous (no clock, no timers): a remote one answers from
 * its last reply and its embedded fallback. They hold per-frame state in preallocated
 * buffers only: `onAudio` runs on the hot path.
 */
export interface EndpointingBounds {
  /** Wait after speech end when the turn is clearly complete. */
  minDelayMs: number;
  /** Wait after speech end when the caller is clearly mid-thought. */
  maxDelayMs: number;
}

export interface TurnEstimate {
  /** 0..1: how likely the caller has finished, given everything seen so far. */
  probability: number;
  /** Silence after speech end to wait before ending the turn, within the bounds. */
  waitMs: number;
}

export type DetectorName = 'silence' | 'semantic' | 'grpc';

export interface TurnDetector {
  /** The detector answering now ('semantic' while a gRPC detector falls back). */
  readonly name: DetectorName;
  /**
   * True when the detector may end a turn before the STT's own endpointer has produced a
   * final: once its wait has passed the relay asks the STT to flush. False (the silence
   * detector) keeps the STT endpointer in charge, and flushes only after `maxDelayMs`.
   */
  readonly endsBeforeFinal: boolean;
  /** One frame of caller audio (PCM16 LE mono), before VAD. Hot path: no allocation. */
  onAudio(pcm: Buffer, captureTsMs: number, durationMs: number): void;
  onSpeechStarted(tsMs: number): void;
  onSpeechStopped(tsMs: number): void;
  /** An interim (`isFinal` false) or final transcript of the current utterance. */
  onTranscript(text: string, isFinal: boolean): void;
  /**
   * Hook for an STT provider's own end-of-turn signal (e.g. an "eager end of turn" with
   * a confidence). The relay's STT contract has no such field yet; a bridge that receives
   * one calls this with its probability. Cleared by the next speech start.
   */
  onProviderEndOfTurn(probability: number): void;
  /** The turn was ended (committed): forget its transcript and prosody. */
  reset(): void;
  estimate(nowMs: number): TurnEstimate;
  close(): void;
}

/**
 * Dynamic endpointing: the wait falls linearly from `maxDelayMs` at probability 0 to
 * `minDelayMs` at `threshold` and above (LiveKit's EndpointingOptions, made continuous).
 */
export function waitForProbability(p: number, threshold: number, b: EndpointingBounds): number {
  if (p >= threshold || threshold <= 0) {
    return b.minDelayMs;
  }
  const f = (threshold - Math.max(0, p)) / threshold;
  return Math.round(b.minDelayMs + (b.maxDelayMs - b.minDelayMs) * f);
}
