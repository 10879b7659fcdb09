import { nowMs } from '../../core/clock.js';

const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Timers of one call, scheduled at absolute relay-clock times (never as
 * accumulated sleeps, so lateness does not add up). A timer never fires early:
 * when the platform wakes up before the due time, it is re-armed for the rest.
 * `clear()` cancels everything at once (cancellation, end of call).
 */
export class Scheduler {
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  get pending(): number {
    return this.#timers.size;
  }

  /** Run `fn` at relay-clock time `atMs` (at once, asynchronously, when already due). */
  at(atMs: number, fn: () => void): void {
    if (this.#closed || !Number.isFinite(atMs)) {
      return;
    }
    // setTimeout takes at most 2^31-1 ms; a later time is reached by re-arming.
    const wait = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(atMs - nowMs())));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#closed) {
        return;
      }
      if (nowMs() < atMs) {
        this.at(atMs, fn);
        return;
      }
      fn();
    }, wait);
    this.#timers.add(timer);
  }

  /** Cancel every pending timer; later `at()` calls are ignored. */
  clear(): void {
    this.#closed = true;
    for (const timer of this.#timers) {
      clearTimeout(timer);
    }
    this.#timers.clear();
  }
}
