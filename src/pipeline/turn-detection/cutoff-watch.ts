import type { EndOfTurnMetrics } from '../../frames/events.js';

/**
 * Watches each ended turn for a false cut-off: the caller speaking again within
 * `windowMs` of the relay ending the turn. Pure; one record per session (the last turn).
 */
export class CutoffWatch {
  readonly #windowMs: number;
  #last: { turnId: string; endedAtMs: number; eot: EndOfTurnMetrics } | undefined;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** The relay ended a user turn at `nowMs`. */
  ended(turnId: string, nowMs: number, eot: Omit<EndOfTurnMetrics, 'falseCutoff'>): void {
    this.#last = { turnId, endedAtMs: nowMs, eot: { ...eot, falseCutoff: false } };
  }

  /** Speech started (capture time): true when this makes the last ended turn a false cut-off. */
  speechStarted(tsMs: number): EndOfTurnMetrics | undefined {
    const l = this.#last;
    if (l === undefined || l.eot.falseCutoff) {
      return undefined;
    }
    if (tsMs - l.endedAtMs > this.#windowMs) {
      return undefined;
    }
    l.eot.falseCutoff = true;
    return l.eot;
  }

  /** The end-of-turn record of `turnId`, if it is the last ended turn. */
  metricsFor(turnId: string): EndOfTurnMetrics | undefined {
    return this.#last?.turnId === turnId ? this.#last.eot : undefined;
  }
}
