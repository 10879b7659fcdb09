import { nowMs } from '../../core/clock.js';
import { RelayError } from '../../errors/errors.js';
import type { StageCallHandlers } from '../stage-ports.js';
import type { EndpointPool, PoolLease } from './endpoint-pool.js';

/** One stage call on one endpoint, as the pooled call drives it. */
export interface LegCall {
  cancel(reason: string): void;
  push?(text: string): void;
  end?(): void;
  pause?(): void;
  resume?(): void;
}

/** What happened to a pooled call, for metrics. */
export interface PooledCallListener {
  retried?(): void;
  /** A hedge started on `endpoint`. */
  hedged?(endpoint: string): void;
  /** The first response came from the hedge (true) or the call it hedged (false), on `winner`. */
  hedgeDecided?(hedgeWon: boolean, winner: string): void;
}

export interface PooledCallOptions<E> {
  pool: EndpointPool;
  /** The endpoint the caller picked (its route's current pick). */
  endpoint: string;
  /** Open the call on an endpoint (leg 0 first); throws a RelayError if it cannot start. */
  open(endpoint: string, leg: number, handlers: StageCallHandlers<E>): LegCall;
  /** Whether an event is the stage's first response (a token, audio). */
  isResponse(ev: E): boolean;
  handlers: StageCallHandlers<E>;
  /** TTS: the first-response clock starts at the first text, not at the call. */
  clockOnPush: boolean;
  listener?: PooledCallListener;
}

interface Leg {
  readonly n: number;
  readonly lease: PoolLease;
  readonly startedAt: number;
  call: LegCall | undefined;
}

/**
 * A stage call over an endpoint pool. It fails over to the next endpoint only while
 * nothing has been answered (a retry after the first token or audio would repeat it),
 * and hedges: with `hedgeAfterMs` set, when the first response is that late the same
 * request (text sent so far included) starts on the next endpoint; the first leg to
 * answer wins and the other is cancelled. Every leg is reported to the pool.
 */
export class PooledCall<E> implements LegCall {
  readonly #o: PooledCallOptions<E>;
  readonly #alive: Leg[] = [];
  readonly #tried = new Set<string>();
  readonly #text: string[] = [];
  #legs = 0;
  #winner: Leg | undefined;
  #done = false;
  #ended = false;
  #paused = false;
  #clockAt: number | undefined;
  #hedgeTimer: NodeJS.Timeout | undefined;
  #hedge: Leg | undefined;

  /** Throws a RelayError when no endpoint can start the call. */
  constructor(options: PooledCallOptions<E>) {
    this.#o = options;
    let err: Error | undefined = undefined;
    let endpoint: string | undefined = options.endpoint;
    while (endpoint !== undefined) {
      err = this.#open(endpoint);
      if (err === undefined) {
        break;
      }
      endpoint = options.pool.settings.retries ? this.#nextEndpoint() : undefined;
    }
    if (err !== undefined) {
      throw err;
    }
    if (!options.clockOnPush) {
      this.#clockAt = nowMs();
      this.#armHedge();
    }
  }

  push(text: string): void {
    this.#text.push(text);
    if (this.#clockAt === undefined) {
      this.#clockAt = nowMs();
      this.#armHedge();
    }
    for (const l of this.#alive) {
      l.call?.push?.(text);
    }
  }

  end(): void {
    this.#ended = true;
    for (const l of this.#alive) {
      l.call?.end?.();
    }
  }

  pause(): void {
    this.#paused = true;
    for (const l of this.#alive) {
      l.call?.pause?.();
    }
  }

  resume(): void {
    this.#paused = false;
    for (const l of this.#alive) {
      l.call?.resume?.();
    }
  }

  cancel(reason = 'cancelled'): void {
    if (this.#done) {
      return;
    }
    this.#done = true;
    this.#clearHedge();
    for (const l of this.#alive.splice(0)) {
      this.#stop(l, reason);
    }
  }

  /** Open a leg; returns the error when it cannot start. */
  #open(endpoint: string): Error | undefined {
    this.#tried.add(endpoint);
    const leg: Leg = {
      n: this.#legs++,
      lease: this.#o.pool.lease(endpoint),
      startedAt: nowMs(),
      call: undefined,
    };
    try {
      leg.call = this.#o.open(endpoint, leg.n, {
        onEvent: (ev) => this.#onEvent(leg, ev),
        onDone: (err) => this.#onDone(leg, err),
      });
    } catch (err) {
      leg.lease.end(true);
      return err instanceof Error
        ? err
        : new RelayError('RELAY_ERR_STAGE_FAILED', 'the stage call could not start');
    }
    this.#alive.push(leg);
    for (const t of this.#text) {
      leg.call.push?.(t);
    }
    if (this.#ended) {
      leg.call.end?.();
    }
    if (this.#paused) {
      leg.call.pause?.();
    }
    return undefined;
  }

  #nextEndpoint(): string | undefined {
    const route = this.#o.pool.route();
    for (let i = 0; i < route.count; i++) {
      const e = route.pick(i);
      if (!this.#tried.has(e)) {
        return e;
      }
    }
    return undefined;
  }

  #elapsed(leg: Leg): number {
    return nowMs() - Math.max(leg.startedAt, this.#clockAt ?? leg.startedAt);
  }

  #onEvent(leg: Leg, ev: E): void {
    if (this.#done || !this.#alive.includes(leg)) {
      return;
    }
    if (this.#winner === undefined) {
      if (!this.#o.isResponse(ev)) {
        if (this.#alive.length === 1) {
          this.#o.handlers.onEvent(ev);
        }
        return;
      }
      this.#win(leg);
      leg.lease.first(this.#elapsed(leg));
    }
    if (leg === this.#winner) {
      this.#o.handlers.onEvent(ev);
    }
  }

  #win(leg: Leg): void {
    this.#winner = leg;
    this.#clearHedge();
    if (this.#hedge !== undefined) {
      this.#o.listener?.hedgeDecided?.(leg === this.#hedge, leg.lease.endpoint);
    }
    this.#o.handlers.onServedBy?.(leg.lease.endpoint);
    for (const l of this.#alive.filter((x) => x !== leg)) {
      this.#alive.splice(this.#alive.indexOf(l), 1);
      this.#stop(l, 'hedge lost');
    }
  }

  #stop(leg: Leg, reason: string): void {
    if (leg !== this.#winner) {
      leg.lease.abandon(this.#elapsed(leg));
    }
    leg.lease.end(false);
    leg.call?.cancel(reason);
  }

  #onDone(leg: Leg, err: RelayError | undefined): void {
    const i = this.#alive.indexOf(leg);
    if (this.#done || i < 0) {
      return;
    }
    this.#alive.splice(i, 1);
    leg.lease.end(err !== undefined);
    if (this.#winner === undefined && err === undefined) {
      this.#win(leg); // a complete answer without a response event (an empty reply)
    }
    if (leg === this.#winner) {
      this.#done = true;
      this.#o.handlers.onDone(err);
      return;
    }
    if (this.#alive.length > 0) {
      return; // the hedge may still answer
    }
    let next = this.#o.pool.settings.retries ? this.#nextEndpoint() : undefined;
    while (next !== undefined) {
      if (this.#open(next) === undefined) {
        this.#o.listener?.retried?.();
        return;
      }
      next = this.#nextEndpoint();
    }
    this.#done = true;
    this.#clearHedge();
    this.#o.handlers.onDone(err);
  }

  #armHedge(): void {
    const after = this.#o.pool.settings.hedgeAfterMs;
    if (after === undefined || this.#hedgeTimer !== undefined || this.#hedge !== undefined) {
      return;
    }
    this.#hedgeTimer = setTimeout(() => {
      this.#hedgeTimer = undefined;
      if (this.#done || this.#winner !== undefined) {
        return;
      }
      const next = this.#nextEndpoint();
      if (next !== undefined && this.#open(next) === undefined) {
        this.#hedge = this.#alive[this.#alive.length - 1];
        this.#o.listener?.hedged?.(next);
      }
    }, after);
    this.#hedgeTimer.unref();
  }

  #clearHedge(): void {
    if (this.#hedgeTimer !== undefined) {
      clearTimeout(this.#hedgeTimer);
      this.#hedgeTimer = undefined;
    }
  }
}
