import { FRAME_MS } from '../../frames/frames.js';
import { nowMs } from '../../core/clock.js';

export interface DeadAirConfig {
  /** Silence budget (0: measure only). */
  budgetMs: number;
  action: 'filler' | 'record';
}

/** Where a breach is reported (`budget.exceeded` with stage `dead_air`). */
export interface DeadAirSink {
  deadAirExceeded(budgetMs: number, elapsedMs: number, action: 'filler' | 'record'): void;
}

/**
 * The dead-air governor of one turn. Measures the silence the caller hears (speech end
 * → first reply audio, plus gaps between reply frames, on the playout timeline) and,
 * with a budget, calls `onBreach` when a silence reaches it. One timer at a time, moved
 * lazily when it fires: sending a frame only stores a number.
 */
export class DeadAirGovernor {
  readonly #cfg: DeadAirConfig;
  readonly #sink: DeadAirSink;
  readonly #filler: () => void;
  /** Playout end of the last frame sent (the start point before any). */
  #lastEndMs: number;
  #deadMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * `startMs`: speech end (or the turn's start for typed turns), where silence starts;
   * `filler` is asked for a filler on each breach when the action is `filler`.
   */
  constructor(cfg: DeadAirConfig, startMs: number, sink: DeadAirSink, filler: () => void) {
    this.#cfg = cfg;
    this.#sink = sink;
    this.#filler = filler;
    this.#lastEndMs = startMs;
    if (cfg.budgetMs > 0) {
      this.#arm(startMs + cfg.budgetMs);
    }
  }

  /** Silence heard so far in this turn, ms. */
  get deadMs(): number {
    return Math.round(this.#deadMs);
  }

  /** A reply frame (own audio or a filler) was sent for playout at `playAtMs`. */
  frameSent(playAtMs: number): void {
    const gap = playAtMs - this.#lastEndMs;
    if (gap > 0) {
      this.#deadMs += gap;
    }
    this.#lastEndMs = Math.max(this.#lastEndMs, playAtMs + FRAME_MS);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(atMs: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(0, Math.ceil(atMs - nowMs())));
    this.#timer.unref();
  }

  #check(): void {
    if (this.#closed) {
      return;
    }
    const now = nowMs();
    const silentMs = now - this.#lastEndMs;
    const budgetMs = this.#cfg.budgetMs;
    if (silentMs >= budgetMs) {
      this.#sink.deadAirExceeded(budgetMs, silentMs, this.#cfg.action);
      if (this.#cfg.action === 'filler') {
        this.#filler();
      }
      // Another breach only after one more budget of silence (a filler resets it).
      this.#arm(now + budgetMs);
      return;
    }
    this.#arm(this.#lastEndMs + budgetMs);
  }
}
