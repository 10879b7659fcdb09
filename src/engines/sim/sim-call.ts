import {
  status as GrpcStatus,
  type ServerDuplexStream,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { FaultProfile, SimEngineKind } from './profiles.js';
import { Scheduler } from './scheduler.js';
import type { SimCallOutcome, SimMonitor } from './sim-monitor.js';

export type SimServerCall<Req, Res> = ServerWritableStream<Req, Res> | ServerDuplexStream<Req, Res>;

export interface SimCallOptions<Req, Res> {
  engine: SimEngineKind;
  method: string;
  call: SimServerCall<Req, Res>;
  monitor: SimMonitor;
  /** Destroys the connection of a peer (fault injection); false when it is unknown. */
  abortPeer: (peer: string) => boolean;
}

/** A gRPC status error as grpc-js expects it on a server stream's 'error' event. */
export function statusError(
  code: GrpcStatus,
  details: string,
): Error & { code: GrpcStatus; details: string } {
  return Object.assign(new Error(details), { code, details });
}

/**
 * The server side of one sim call: writes responses, applies the fault profile
 * (stall, error or abort after N responses), ends the call exactly once and
 * reports everything to the engine's monitor.
 *
 * Stall: nothing leaves the server before `startedAtMs + stallBeforeFirstMs`;
 * responses (and a normal end) produced earlier are held and released in order
 * then. Only a Cancel request and client cancellation bypass the stall.
 */
export class SimCall<Req, Res> {
  readonly startedAtMs = nowMs();
  readonly scheduler = new Scheduler();
  readonly #opts: SimCallOptions<Req, Res>;
  readonly #peer: string;
  #faults: FaultProfile | undefined;
  #requestId = '';
  #identified = false;
  #outcome: SimCallOutcome | undefined;
  #sent = 0;
  #gateOpen = false;
  #held: (() => void)[] = [];
  #onClose: (() => void) | undefined;

  constructor(opts: SimCallOptions<Req, Res>) {
    this.#opts = opts;
    this.#peer = opts.call.getPeer();
    opts.call.on('cancelled', () => this.#onCancelled());
  }

  get requestId(): string {
    return this.#requestId;
  }

  /** True once the call ended (by the server, the client or a fault). */
  get closed(): boolean {
    return this.#outcome !== undefined;
  }

  get messagesSent(): number {
    return this.#sent;
  }

  /** Cleanup to run once when the call ends, however it ends. */
  onClose(fn: () => void): void {
    this.#onClose = fn;
  }

  /** The request id is known: report the call as started (once). */
  identify(requestId: string): void {
    if (this.#identified || this.closed) {
      return;
    }
    this.#identified = true;
    this.#requestId = requestId;
    this.#opts.monitor.started(this.#info());
  }

  /** Arm the fault profile: the stall gate and faults at zero messages. */
  arm(faults: FaultProfile): void {
    this.#faults = faults;
    const openAt = this.startedAtMs + faults.stallBeforeFirstMs;
    if (openAt <= nowMs()) {
      this.#openGate();
    } else {
      this.scheduler.at(openAt, () => this.#openGate());
    }
  }

  /** Write a response (held while stalled; dropped once the call is closed). */
  send(message: Res): void {
    this.#whenOpen(() => this.#write(message));
  }

  /** End the call with status OK, after every response sent so far. */
  finish(): void {
    this.#whenOpen(() => {
      if (this.#end('ok', GrpcStatus.OK, 'OK')) {
        this.#opts.call.end();
      }
    });
  }

  /** End the call with an error status at once (no stall: used for validation errors). */
  fail(code: GrpcStatus, details: string): void {
    if (this.#end('error', code, details)) {
      this.#opts.call.emit('error', statusError(code, details));
    }
  }

  /** A Cancel request: stop at once and end the call with CANCELLED. */
  cancelByMessage(reason: string): void {
    if (this.closed) {
      return;
    }
    const details = reason === '' ? 'cancelled by request' : `cancelled by request: ${reason}`;
    this.#opts.monitor.cancelled({ ...this.#info(), via: 'message' });
    if (this.#end('cancelled', GrpcStatus.CANCELLED, details)) {
      this.#opts.call.emit('error', statusError(GrpcStatus.CANCELLED, details));
    }
  }

  #whenOpen(fn: () => void): void {
    if (this.closed) {
      return;
    }
    if (this.#gateOpen) {
      fn();
    } else {
      this.#held.push(fn);
    }
  }

  #openGate(): void {
    if (this.closed || this.#gateOpen) {
      return;
    }
    this.#gateOpen = true;
    if (!this.#checkFaults()) {
      return;
    }
    const held = this.#held;
    this.#held = [];
    for (const fn of held) {
      fn();
    }
  }

  #write(message: Res): void {
    if (this.closed) {
      return;
    }
    this.#sent++;
    const faults = this.#faults;
    if (faults !== undefined && this.#sent === faults.abortAfterMessages) {
      // Let this message reach the socket, then cut the connection.
      this.#end('aborted', GrpcStatus.UNAVAILABLE, 'sim: injected connection abort');
      this.#opts.call.write(message, () => setImmediate(() => this.#abortNow()));
      return;
    }
    this.#opts.call.write(message);
    this.#checkFaults();
  }

  /** Apply error/abort faults due after the messages sent so far; false when the call ended. */
  #checkFaults(): boolean {
    const faults = this.#faults;
    if (faults === undefined || this.closed) {
      return !this.closed;
    }
    if (this.#sent === faults.errorAfterMessages) {
      const details = `sim: injected error after ${this.#sent} messages`;
      if (this.#end('error', faults.errorCode, details)) {
        this.#opts.call.emit('error', statusError(faults.errorCode, details));
      }
      return false;
    }
    if (this.#sent === 0 && faults.abortAfterMessages === 0) {
      this.#end('aborted', GrpcStatus.UNAVAILABLE, 'sim: injected connection abort');
      this.#abortNow();
      return false;
    }
    return true;
  }

  #abortNow(): void {
    if (!this.#opts.abortPeer(this.#peer)) {
      // Unknown socket (should not happen): fail the call instead.
      this.#opts.call.emit('error', statusError(GrpcStatus.UNAVAILABLE, 'sim: connection abort'));
    }
  }

  #onCancelled(): void {
    if (this.closed) {
      return;
    }
    const deadline = this.#opts.call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    const pastDeadline = Number.isFinite(deadlineMs) && Date.now() >= deadlineMs - 5;
    this.#opts.monitor.cancelled({ ...this.#info(), via: pastDeadline ? 'deadline' : 'client' });
    this.#end(
      'cancelled',
      pastDeadline ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED,
      pastDeadline ? 'deadline exceeded' : 'cancelled by client',
    );
  }

  /** Record the end once; returns false when the call had already ended. */
  #end(outcome: SimCallOutcome, code: GrpcStatus, details: string): boolean {
    if (this.#outcome !== undefined) {
      return false;
    }
    this.#outcome = outcome;
    this.#held = [];
    this.scheduler.clear();
    if (!this.#identified) {
      this.#identified = true;
      this.#opts.monitor.started(this.#info());
    }
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
    this.#opts.monitor.ended({
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
    engine: SimEngineKind;
    method: string;
    requestId: string;
    peer: string;
    startedAtMs: number;
  } {
    return {
      engine: this.#opts.engine,
      method: this.#opts.method,
      requestId: this.#requestId,
      peer: this.#peer,
      startedAtMs: this.startedAtMs,
    };
  }
}
