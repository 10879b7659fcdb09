import { nowMs } from '../core/clock.js';

/** A streaming call the relay no longer needs (the parts of a grpc-js client stream used). */
export interface RetiredCall {
  end(): void;
  cancel(): void;
  resume(): unknown;
  on(event: 'data' | 'error', listener: () => void): unknown;
  once(event: 'status', listener: () => void): unknown;
  removeAllListeners(event: 'data' | 'end' | 'error'): unknown;
}

const noop = (): void => undefined;

/**
 * Ends streaming calls the relay is done with by half-closing them, so the engine
 * finishes the call with a status instead of receiving a RST_STREAM. A server counts
 * the resets it receives (nghttp2 answers more than about 1,000 in a burst, then 33 a
 * second, with GOAWAY INTERNAL_ERROR, which fails every stream on that connection), so
 * sessions opened and closed quickly must not reset their streams. A call the engine
 * has not finished within `graceMs` is cancelled after all; one shared sweep runs only
 * while calls are draining.
 */
export class CallDrain {
  readonly #graceMs: number;
  readonly #sweepMs: number;
  readonly #calls = new Map<RetiredCall, number>();
  #timer: NodeJS.Timeout | undefined;
  readonly #clock: () => number;

  constructor(graceMs = 5_000, sweepMs = 1_000, clock: () => number = nowMs) {
    this.#graceMs = graceMs;
    this.#sweepMs = sweepMs;
    this.#clock = clock;
  }

  /** Calls still draining. */
  get size(): number {
    return this.#calls.size;
  }

  /** Stop listening to `call` and half-close it; it is cancelled if it outlives the grace. */
  retire(call: RetiredCall): void {
    call.removeAllListeners('data');
    call.removeAllListeners('end');
    call.removeAllListeners('error');
    call.on('error', noop);
    // Keep reading: a status is delivered only after the messages before it are read.
    call.on('data', noop);
    call.resume();
    this.#calls.set(call, this.#clock() + this.#graceMs);
    call.once('status', () => this.#calls.delete(call));
    call.end();
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sweep(), this.#sweepMs);
      this.#timer.unref();
    }
  }

  /** Cancel the calls past their grace (run by the shared timer). */
  sweep(): void {
    const now = this.#clock();
    for (const [call, deadline] of this.#calls) {
      if (deadline <= now) {
        this.#calls.delete(call);
        call.cancel();
      }
    }
    this.#stopWhenIdle();
  }

  /** Cancel every draining call at once (process shutdown). */
  close(): void {
    for (const call of this.#calls.keys()) {
      call.cancel();
    }
    this.#calls.clear();
    this.#stopWhenIdle();
  }

  #stopWhenIdle(): void {
    if (this.#calls.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
