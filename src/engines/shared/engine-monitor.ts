/**
 * What a real engine observed, for tests and operators: counters and events
 * per call (the same shape as the sim engines' monitor, without fault kinds).
 * Every call emits exactly one `call-started` and one `call-ended`, and in
 * between a `call-cancelled` when the client cancelled it (RPC cancellation,
 * deadline or a Cancel message).
 */
import { EventEmitter } from 'node:events';
import type { status as GrpcStatus } from '@grpc/grpc-js';

/** OK, an error status sent by the server, or client cancellation. */
export type EngineCallOutcome = 'ok' | 'error' | 'cancelled';

/** `client`: the RPC was cancelled; `deadline`: past its deadline; `message`: a Cancel request. */
export type EngineCancelVia = 'client' | 'deadline' | 'message';

export interface EngineCallInfo {
  /** Engine name (espeak, pocketsphinx, openai, reply). */
  engine: string;
  method: string;
  /** The call's request_id ('' when it ended before sending one). */
  requestId: string;
  peer: string;
  startedAtMs: number;
}

export interface EngineCallCancelled extends EngineCallInfo {
  via: EngineCancelVia;
}

export interface EngineCallEnded extends EngineCallInfo {
  outcome: EngineCallOutcome;
  code: GrpcStatus;
  details: string;
  endedAtMs: number;
  messagesSent: number;
}

export interface EngineEvents {
  'call-started': [EngineCallInfo];
  'call-cancelled': [EngineCallCancelled];
  'call-ended': [EngineCallEnded];
}

export type EngineEventName = keyof EngineEvents;

export interface EngineStatsSnapshot {
  started: number;
  active: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** Call counters of one engine. */
export class EngineStats {
  started = 0;
  completed = 0;
  failed = 0;
  cancelled = 0;

  get active(): number {
    return this.started - this.completed - this.failed - this.cancelled;
  }

  snapshot(): EngineStatsSnapshot {
    return {
      started: this.started,
      active: this.active,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
    };
  }
}

export class EngineMonitor<S extends EngineStats = EngineStats> {
  readonly engine: string;
  readonly stats: S;
  readonly events = new EventEmitter<EngineEvents>();

  constructor(engine: string, stats: S) {
    this.engine = engine;
    this.stats = stats;
    this.events.setMaxListeners(0);
  }

  /** @internal */
  started(info: EngineCallInfo): void {
    this.stats.started++;
    this.events.emit('call-started', info);
  }

  /** @internal */
  cancelled(info: EngineCallCancelled): void {
    this.events.emit('call-cancelled', info);
  }

  /** @internal */
  ended(info: EngineCallEnded): void {
    if (info.outcome === 'ok') {
      this.stats.completed++;
    } else if (info.outcome === 'error') {
      this.stats.failed++;
    } else {
      this.stats.cancelled++;
    }
    this.events.emit('call-ended', info);
  }

  /** The next event matching `predicate` (rejects after timeoutMs). */
  waitFor<E extends EngineEventName>(
    event: E,
    predicate: (...args: EngineEvents[E]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<EngineEvents[E][0]> {
    return waitForEvent(this.events, event, predicate, timeoutMs);
  }
}

/** Resolve with the next `event` of `emitter` matching `predicate`; reject after `timeoutMs`. */
export function waitForEvent<M extends Record<keyof M, unknown[]>, E extends keyof M & string>(
  emitter: EventEmitter<M>,
  event: E,
  predicate: (...args: M[E]) => boolean,
  timeoutMs: number,
): Promise<M[E][0]> {
  const ee = emitter as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (predicate(...(args as M[E]))) {
        clearTimeout(timer);
        ee.off(event, listener);
        resolve(args[0]);
      }
    };
    const timer = setTimeout(() => {
      ee.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
    }, timeoutMs);
    ee.on(event, listener);
  });
}
