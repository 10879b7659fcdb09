import { nowMs } from './clock.js';

export type TickListener = (tickTsMs: number) => void;

/**
 * One drift-compensated ticker shared by every session of a process: pacing never
 * creates a timer per session. Tick k is scheduled at start + k·period on the relay
 * clock; a late wake-up is absorbed by the next delay, and ticks that fall fully
 * behind are skipped (counted in `missedTicks`), never bunched up.
 */
export class Ticker {
  readonly periodMs: number;
  readonly #listeners = new Set<TickListener>();
  #timer: NodeJS.Timeout | undefined;
  #startMs = 0;
  #tick = 0;
  #missed = 0;
  #onError: (err: unknown) => void;

  constructor(periodMs = 20, onError: (err: unknown) => void = () => undefined) {
    this.periodMs = periodMs;
    this.#onError = onError;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  get missedTicks(): number {
    return this.#missed;
  }

  /** Register a listener; returns the function that removes it. */
  subscribe(listener: TickListener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#startMs = nowMs();
      this.#tick = 0;
      this.#schedule();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.stop();
      }
    };
  }

  stop(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    this.#tick++;
    let due = this.#startMs + this.#tick * this.periodMs;
    const now = nowMs();
    if (due < now - this.periodMs) {
      const behind = Math.floor((now - due) / this.periodMs);
      this.#missed += behind;
      this.#tick += behind;
      due += behind * this.periodMs;
    }
    this.#timer = setTimeout(this.#fire, Math.max(0, due - now));
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    const ts = nowMs();
    for (const listener of this.#listeners) {
      try {
        listener(ts);
      } catch (err) {
        this.#onError(err);
      }
    }
    if (this.#listeners.size > 0) {
      this.#schedule();
    } else {
      this.#timer = undefined;
    }
  };
}
