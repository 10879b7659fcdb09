/**
 * What a sim engine observed, for tests: counters and events per call.
 * Every call emits exactly one `call-started` and one `call-ended`, and in
 * between a `call-cancelled` when the client cancelled it (RPC cancellation,
 * deadline or a Cancel message).
 */
import { EventEmitter } from 'node:events';
import type { status as GrpcStatus } from '@grpc/grpc-js';
import type { SimEngineKind } from './profiles.js';

/** How the call ended: OK, an error status sent by the server, client cancellation, or an injected abort. */
export type SimCallOutcome = 'ok' | 'error' | 'cancelled' | 'aborted';

/** `client`: the RPC was cancelled; `deadline`: it was cancelled past its deadline; `message`: a Cancel request. */
export type SimCancelVia = 'client' | 'deadline' | 'message';

export interface SimCallInfo {
  engine: SimEngineKind;
  /** gRPC method name: Recognize, Generate or Synthesize. */
  method: string;
  /** The call's request_id ('' when the call ended before sending one). */
  requestId: string;
  /** The client's address as `ip:port`. */
  peer: string;
  startedAtMs: number;
}

export interface SimCallCancelled extends SimCallInfo {
  via: SimCancelVia;
}

export interface SimCallEnded extends SimCallInfo {
  outcome: SimCallOutcome;
  /** The status the server sent (CANCELLED / UNAVAILABLE for client cancellation / abort). */
  code: GrpcStatus;
  details: string;
  endedAtMs: number;
  /** Responses written to the client. */
  messagesSent: number;
}

export interface SimEvents {
  'call-started': [SimCallInfo];
  'call-cancelled': [SimCallCancelled];
  'call-ended': [SimCallEnded];
}

export type SimEventName = keyof SimEvents;

export interface SimStatsSnapshot {
  started: number;
  active: number;
  completed: number;
  failed: number;
  cancelled: number;
  aborted: number;
}

/** Call counters of one engine (or of a whole server). */
export class SimStats {
  #started = 0;
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #aborted = 0;

  get started(): number {
    return this.#started;
  }
  get active(): number {
    return this.#started - this.#completed - this.#failed - this.#cancelled - this.#aborted;
  }
  /** Calls that ended with status OK. */
  get completed(): number {
    return this.#completed;
  }
  /** Calls the server failed with an error status (validation, injected error...). */
  get failed(): number {
    return this.#failed;
  }
  /** Calls the client cancelled (RPC cancellation, deadline, Cancel message). */
  get cancelled(): number {
    return this.#cancelled;
  }
  /** Calls whose connection was destroyed by fault injection. */
  get aborted(): number {
    return this.#aborted;
  }

  snapshot(): SimStatsSnapshot {
    return {
      started: this.started,
      active: this.active,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      aborted: this.aborted,
    };
  }

  /** @internal */
  recordStart(): void {
    this.#started++;
  }

  /** @internal */
  recordEnd(outcome: SimCallOutcome): void {
    if (outcome === 'ok') {
      this.#completed++;
    } else if (outcome === 'error') {
      this.#failed++;
    } else if (outcome === 'cancelled') {
      this.#cancelled++;
    } else {
      this.#aborted++;
    }
  }
}

/** Stats and events of one engine; events are also forwarded to the server-wide emitter. */
export class SimMonitor {
  readonly engine: SimEngineKind;
  readonly stats = new SimStats();
  readonly events = new EventEmitter<SimEvents>();
  readonly #parent: SimMonitorSink | undefined;

  constructor(engine: SimEngineKind, parent?: SimMonitorSink) {
    this.engine = engine;
    this.#parent = parent;
    // Tests may wait on many calls at once.
    this.events.setMaxListeners(0);
  }

  /** @internal */
  started(info: SimCallInfo): void {
    this.stats.recordStart();
    this.#parent?.stats.recordStart();
    this.events.emit('call-started', info);
    this.#parent?.events.emit('call-started', info);
  }

  /** @internal */
  cancelled(info: SimCallCancelled): void {
    this.events.emit('call-cancelled', info);
    this.#parent?.events.emit('call-cancelled', info);
  }

  /** @internal */
  ended(info: SimCallEnded): void {
    this.stats.recordEnd(info.outcome);
    this.#parent?.stats.recordEnd(info.outcome);
    this.events.emit('call-ended', info);
    this.#parent?.events.emit('call-ended', info);
  }

  /** Resolve with the next event matching `predicate`; reject after `timeoutMs`. */
  waitFor<E extends SimEventName>(
    event: E,
    predicate: (...args: SimEvents[E]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<SimEvents[E][0]> {
    return waitForEvent(this.events, event, predicate, timeoutMs);
  }
}

/** Server-wide aggregate of every engine's monitor. */
export interface SimMonitorSink {
  readonly stats: SimStats;
  readonly events: EventEmitter<SimEvents>;
}

export function waitForEvent<E extends SimEventName>(
  events: EventEmitter<SimEvents>,
  event: E,
  predicate: (...args: SimEvents[E]) => boolean,
  timeoutMs: number,
): Promise<SimEvents[E][0]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: SimEvents[E]): void => {
      if (predicate(...args)) {
        clearTimeout(timer);
        events.off(event, listener as never);
        resolve(args[0]);
      }
    };
    const timer = setTimeout(() => {
      events.off(event, listener as never);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
    }, timeoutMs);
    events.on(event, listener as never);
  });
}
