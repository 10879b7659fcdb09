import { nowMs } from './clock.js';

export type TickListener = (tickTsMs: number) => void;

/** Listeners run between two checks of the slice clock. */
const CHECK_EVERY = 16;

/**
 * One drift-compensated ticker shared by every session of a process: pacing never
 * creates a timer per session. Tick k is scheduled at start + k·period on the relay
 * clock; a late wake-up is absorbed by the next delay, and ticks that fall fully
 * behind are skipped (counted in `missedTicks`), never bunched up.
 *
 * A tick's pass over the listeners never holds the event loop for more than about
 * `sliceMs`: past that, the rest of the pass continues in `setImmediate`, after the
 * loop has polled socket and gRPC I/O (counted in `yields`). Every listener of a pass
 * gets the same tick time; one removed during the pass is not called.
 */
export class Ticker {
  readonly periodMs: number;
  readonly #listeners = new Set<TickListener>();
  readonly #sliceMs: number;
  #timer: NodeJS.Timeout | undefined;
  #startMs = 0;
  #tick = 0;
  #missed = 0;
  #yields = 0;
  /** Bumped on every start and stop: a pass of an older run stops where it is. */
  #run = 0;
  #passing = false;
  #pass: TickListener[] = [];
  #passAt = 0;
  #passTs = 0;
  #onError: (err: unknown) => void;

  constructor(periodMs = 20, onError: (err: unknown) => void = () => undefined, sliceMs = 2) {
    this.periodMs = periodMs;
    this.#onError = onError;
    this.#sliceMs = sliceMs;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  get missedTicks(): number {
    return this.#missed;
  }

  /** Passes that yielded to I/O before finishing (their rest ran in setImmediate). */
  get yields(): number {
    return this.#yields;
  }

  /** Register a listener; returns the function that removes it. */
  subscribe(listener: TickListener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined && !this.#passing) {
      this.#run++;
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
    if (this.#passing) {
      this.#run++;
      this.#passing = false;
      this.#pass = [];
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
    this.#timer = undefined;
    this.#passing = true;
    this.#pass = [...this.#listeners];
    this.#passAt = 0;
    this.#passTs = nowMs();
    this.#continue();
  };

  readonly #continue = (): void => {
    const run = this.#run;
    const list = this.#pass;
    const ts = this.#passTs;
    const sliceStart = nowMs();
    let i = this.#passAt;
    while (i < list.length) {
      const listener = list[i++]!;
      if (this.#listeners.has(listener)) {
        try {
          listener(ts);
        } catch (err) {
          this.#onError(err);
        }
      }
      if (run !== this.#run) {
        return; // stopped (and perhaps restarted) by a listener
      }
      if (i % CHECK_EVERY === 0 && i < list.length && nowMs() - sliceStart >= this.#sliceMs) {
        this.#passAt = i;
        this.#yields++;
        setImmediate(this.#resume, run);
        return;
      }
    }
    this.#passing = false;
    this.#pass = [];
    if (this.#listeners.size > 0) {
      this.#schedule();
    }
  };

  readonly #resume = (run: number): void => {
    if (run === this.#run) {
      this.#continue();
    }
  };
}
