import {
  status as GrpcStatus,
  type ServerDuplexStream,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { EngineCallOutcome, EngineMonitor } from './engine-monitor.js';

export type EngineServerCall<Req, Res> =
  ServerWritableStream<Req, Res> | ServerDuplexStream<Req, Res>;

/** A gRPC status error as grpc-js expects it on a server stream's 'error' event. */
export function statusError(
  code: GrpcStatus,
  details: string,
): Error & { code: GrpcStatus; details: string } {
  return Object.assign(new Error(details), { code, details });
}

/**
 * The server side of one engine call: writes responses (with backpressure),
 * ends the call exactly once, runs cleanups on every exit path and reports to
 * the engine's monitor. `signal` aborts when the call ends, however it ends.
 */
export class EngineCall<Req, Res> {
  readonly startedAtMs = nowMs();
  readonly #call: EngineServerCall<Req, Res>;
  readonly #monitor: EngineMonitor;
  readonly #method: string;
  readonly #peer: string;
  readonly #abort = new AbortController();
  #requestId = '';
  #identified = false;
  #outcome: EngineCallOutcome | undefined;
  #sent = 0;
  #cleanups: (() => void)[] = [];

  constructor(method: string, call: EngineServerCall<Req, Res>, monitor: EngineMonitor) {
    this.#method = method;
    this.#call = call;
    this.#monitor = monitor;
    this.#peer = call.getPeer();
    call.on('cancelled', () => this.#onCancelled());
    // A write after the client went away fails asynchronously; the call is over then.
    call.on('error', () => this.#onCancelled());
  }

  get requestId(): string {
    return this.#requestId;
  }

  get closed(): boolean {
    return this.#outcome !== undefined;
  }

  /** Aborted once the call ended (OK, error or cancellation). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get messagesSent(): number {
    return this.#sent;
  }

  /** Cleanup to run once when the call ends, however it ends (runs at once if it already ended). */
  onClose(fn: () => void): void {
    if (this.closed) {
      fn();
      return;
    }
    this.#cleanups.push(fn);
  }

  /** The request id is known: report the call as started (once). */
  identify(requestId: string): void {
    if (this.#identified || this.closed) {
      return;
    }
    this.#identified = true;
    this.#requestId = requestId;
    this.#monitor.started(this.#info());
  }

  /** Write a response; false when the transport buffer is full (wait for `drained()`). */
  send(message: Res): boolean {
    if (this.closed) {
      return true;
    }
    this.#sent++;
    return this.#call.write(message);
  }

  /** Resolves once the transport buffer drained (or the call ended). */
  drained(): Promise<void> {
    if (this.closed || !this.#call.writableNeedDrain) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.#call.off('drain', done);
        this.#abort.signal.removeEventListener('abort', done);
        resolve();
      };
      this.#call.on('drain', done);
      this.#abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** End the call with status OK after every response sent so far. */
  finish(): void {
    if (this.#end('ok', GrpcStatus.OK, 'OK')) {
      this.#call.end();
    }
  }

  /** End the call with an error status. */
  fail(code: GrpcStatus, details: string): void {
    if (this.#end('error', code, details)) {
      this.#call.emit('error', statusError(code, details));
    }
  }

  /** A Cancel request: stop at once and end the call with CANCELLED. */
  cancelByMessage(reason: string): void {
    if (this.closed) {
      return;
    }
    const details = reason === '' ? 'cancelled by request' : `cancelled by request: ${reason}`;
    this.#monitor.cancelled({ ...this.#info(), via: 'message' });
    if (this.#end('cancelled', GrpcStatus.CANCELLED, details)) {
      this.#call.emit('error', statusError(GrpcStatus.CANCELLED, details));
    }
  }

  #onCancelled(): void {
    if (this.closed) {
      return;
    }
    const deadline = this.#call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    const pastDeadline = Number.isFinite(deadlineMs) && Date.now() >= deadlineMs - 5;
    this.#monitor.cancelled({ ...this.#info(), via: pastDeadline ? 'deadline' : 'client' });
    this.#end(
      'cancelled',
      pastDeadline ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED,
      pastDeadline ? 'deadline exceeded' : 'cancelled by client',
    );
  }

  #end(outcome: EngineCallOutcome, code: GrpcStatus, details: string): boolean {
    if (this.#outcome !== undefined) {
      return false;
    }
    this.#outcome = outcome;
    if (!this.#identified) {
      this.#identified = true;
      this.#monitor.started(this.#info());
    }
    this.#abort.abort(new Error(details));
    const cleanups = this.#cleanups;
    this.#cleanups = [];
    for (const fn of cleanups) {
      fn();
    }
    this.#monitor.ended({
      ...this.#info(),
      outcome,
      code,
      details,
      endedAtMs: nowMs(),
      messagesSent: this.#sent,
    });
    return true;
  }

  #info(): {
    engine: string;
    method: string;
    requestId: string;
    peer: string;
    startedAtMs: number;
  } {
    return {
      engine: this.#monitor.engine,
      method: this.#method,
      requestId: this.#requestId,
      peer: this.#peer,
      startedAtMs: this.startedAtMs,
    };
  }
}
