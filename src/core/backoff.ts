export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** Fraction of random jitter, 0..1. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 100,
  maxMs: 5_000,
  multiplier: 1.6,
  jitter: 0.2,
};

/** Exponential backoff with jitter (the grpc-js constants by default). */
export class Backoff {
  readonly #opts: BackoffOptions;
  #next: number;
  #attempts = 0;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.#opts = { ...DEFAULT_BACKOFF, ...options };
    this.#next = this.#opts.initialMs;
  }

  get attempts(): number {
    return this.#attempts;
  }

  /** The delay before the next attempt, in ms. */
  nextDelayMs(): number {
    const base = this.#next;
    this.#next = Math.min(this.#next * this.#opts.multiplier, this.#opts.maxMs);
    this.#attempts++;
    const spread = base * this.#opts.jitter;
    return Math.max(0, base + (Math.random() * 2 - 1) * spread);
  }

  reset(): void {
    this.#next = this.#opts.initialMs;
    this.#attempts = 0;
  }
}

/** Resolve after ms, unless the signal aborts first (then reject with its reason). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
