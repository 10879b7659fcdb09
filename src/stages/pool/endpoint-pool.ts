import { systemClock, type Clock } from '../../core/clock.js';
import type { Balance, EndpointRoute } from '../endpoint-selector.js';

/** The pool settings of one stage (the pipeline's `stages.<stage>.pool`, defaults applied). */
export interface PoolSettings {
  weights?: readonly number[] | undefined;
  ewmaAlpha: number;
  retries: boolean;
  hedgeAfterMs?: number | undefined;
  eject: {
    consecutiveFailures: number;
    slowMs?: number | undefined;
    ejectMs: number;
    maxEjectMs: number;
  };
  healthCheck?:
    | { intervalMs: number; timeoutMs: number; unhealthyAfter: number; healthyAfter: number }
    | undefined;
}

/** closed: in use; open: ejected until `openUntil`; half-open: one trial call decides. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** What the pool knows of one endpoint (a snapshot for the gateway and tests). */
export interface EndpointStatus {
  endpoint: string;
  weight: number;
  /** Moving average of first-response time in ms (undefined until measured). */
  ewmaMs: number | undefined;
  inFlight: number;
  breaker: BreakerState;
  healthy: boolean;
  ejections: number;
}

/** Transitions a pool reports (for metrics and logs). */
export interface PoolListener {
  ejected?(endpoint: string): void;
  health?(endpoint: string, healthy: boolean): void;
}

class EndpointState {
  ewmaMs: number | undefined;
  inFlight = 0;
  failures = 0;
  breaker: BreakerState = 'closed';
  openUntil = 0;
  ejections = 0;
  healthy = true;
  trial = false;

  constructor(
    readonly endpoint: string,
    readonly index: number,
    readonly weight: number,
  ) {}
}

/** One call on one endpoint, as the pool tracks it. */
export interface PoolLease {
  readonly endpoint: string;
  /** The first response arrived `ms` after the call started. */
  first(ms: number): void;
  /** The call is given up on `ms` after it started, with no response (it is at least that slow). */
  abandon(ms: number): void;
  /** The call ended: `failed` when it ended on an error the endpoint is to blame for. */
  end(failed: boolean): void;
}

/**
 * The endpoints of one stage for the whole process, shared by every session: picks the
 * order a call tries them in and learns from every call. `latency` balance orders by
 * EWMA of first-response time × (calls in flight + 1) ÷ weight, so a fast endpoint takes
 * the traffic within a few calls while an unmeasured one is tried first. Errors and slow
 * first responses open an endpoint's circuit breaker (it is ejected for a time that
 * doubles on each ejection); when the time is up one trial call half-opens it. Health
 * checks (see HealthChecker) take an endpoint out before a caller notices. Ejected and
 * unhealthy endpoints stay at the end of every route, as a last resort.
 */
export class EndpointPool {
  readonly settings: PoolSettings;
  readonly #balance: Balance;
  readonly #states: EndpointState[];
  readonly #listener: PoolListener;
  readonly #clock: Clock;
  #next = 0;

  constructor(
    endpoints: readonly string[],
    balance: Balance,
    settings: PoolSettings,
    listener: PoolListener = {},
    clock: Clock = systemClock,
  ) {
    if (endpoints.length === 0) {
      throw new RangeError('an endpoint pool needs at least one endpoint');
    }
    this.settings = settings;
    this.#balance = balance;
    this.#listener = listener;
    this.#clock = clock;
    this.#states = endpoints.map((e, i) => new EndpointState(e, i, settings.weights?.[i] ?? 1));
  }

  get count(): number {
    return this.#states.length;
  }

  get endpoints(): string[] {
    return this.#states.map((s) => s.endpoint);
  }

  /** The order a new call tries the endpoints in. */
  route(): EndpointRoute {
    const now = this.#clock.now();
    const usable: EndpointState[] = [];
    const rest: EndpointState[] = [];
    for (const s of this.#states) {
      (this.#usable(s, now) ? usable : rest).push(s);
    }
    if (this.#balance === 'latency') {
      usable.sort((a, b) => score(a) - score(b) || a.index - b.index);
    } else if (this.#balance === 'round-robin' && usable.length > 0) {
      const k = this.#next % usable.length;
      this.#next = (this.#next + 1) % this.#states.length;
      usable.push(...usable.splice(0, k));
    }
    const order = [...usable, ...rest].map((s) => s.endpoint);
    return { count: order.length, pick: (attempt) => order[attempt % order.length] as string };
  }

  /** Track a call starting on `endpoint`. */
  lease(endpoint: string): PoolLease {
    const s = this.#states.find((x) => x.endpoint === endpoint);
    if (s === undefined) {
      return { endpoint, first: () => undefined, abandon: () => undefined, end: () => undefined };
    }
    s.inFlight++;
    if (s.breaker !== 'closed' && !s.trial) {
      s.breaker = 'half-open';
      s.trial = true;
    }
    const trial = s.trial && s.breaker === 'half-open';
    let answered = false;
    let ended = false;
    return {
      endpoint,
      first: (ms) => {
        if (answered || ended) {
          return;
        }
        answered = true;
        this.#sample(s, ms);
        const slow = this.settings.eject.slowMs;
        if (slow !== undefined && ms > slow) {
          this.#failure(s);
        } else {
          s.failures = 0;
          if (trial) {
            s.breaker = 'closed';
            s.ejections = 0;
          }
        }
      },
      abandon: (ms) => {
        if (answered || ended) {
          return;
        }
        answered = true;
        if (s.ewmaMs === undefined || ms > s.ewmaMs) {
          this.#sample(s, ms);
        }
        const slow = this.settings.eject.slowMs;
        if (slow !== undefined && ms > slow) {
          this.#failure(s);
        }
      },
      end: (failed) => {
        if (ended) {
          return;
        }
        ended = true;
        s.inFlight--;
        if (trial) {
          s.trial = false;
        }
        if (failed) {
          this.#failure(s);
        } else if (!answered && trial) {
          s.breaker = 'closed';
          s.ejections = 0;
        }
      },
    };
  }

  /** A health check result (after the checker's thresholds). */
  setHealthy(endpoint: string, healthy: boolean): void {
    const s = this.#states.find((x) => x.endpoint === endpoint);
    if (s === undefined || s.healthy === healthy) {
      return;
    }
    s.healthy = healthy;
    if (healthy) {
      // Back in service: forget the outage and measure it afresh.
      s.breaker = 'closed';
      s.failures = 0;
      s.ejections = 0;
      s.ewmaMs = undefined;
    }
    this.#listener.health?.(endpoint, healthy);
  }

  status(): EndpointStatus[] {
    const now = this.#clock.now();
    return this.#states.map((s) => ({
      endpoint: s.endpoint,
      weight: s.weight,
      ewmaMs: s.ewmaMs,
      inFlight: s.inFlight,
      breaker: s.breaker === 'open' && now >= s.openUntil ? 'half-open' : s.breaker,
      healthy: s.healthy,
      ejections: s.ejections,
    }));
  }

  #usable(s: EndpointState, now: number): boolean {
    if (!s.healthy) {
      return false;
    }
    if (s.breaker === 'closed') {
      return true;
    }
    return !s.trial && now >= s.openUntil;
  }

  #sample(s: EndpointState, ms: number): void {
    const a = this.settings.ewmaAlpha;
    s.ewmaMs = s.ewmaMs === undefined ? ms : a * ms + (1 - a) * s.ewmaMs;
  }

  #failure(s: EndpointState): void {
    s.failures++;
    const half = s.breaker !== 'closed';
    if (half || s.failures >= this.settings.eject.consecutiveFailures) {
      const { ejectMs, maxEjectMs } = this.settings.eject;
      s.breaker = 'open';
      s.openUntil =
        this.#clock.now() + Math.min(maxEjectMs, ejectMs * 2 ** Math.min(s.ejections, 20));
      s.ejections++;
      s.failures = 0;
      this.#listener.ejected?.(s.endpoint);
    }
  }
}

function score(s: EndpointState): number {
  return ((s.ewmaMs ?? 0) * (s.inFlight + 1)) / s.weight;
}

/** The pool defaults (what `pool: {}` means), used by `balance: latency` without a `pool`. */
export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  ewmaAlpha: 0.3,
  retries: true,
  eject: { consecutiveFailures: 3, ejectMs: 5_000, maxEjectMs: 60_000 },
};

/** A stage's pool settings, or undefined when it uses the plain endpoint selector. */
export function poolSettingsOf(stage: {
  balance: Balance;
  pool?: PoolSettings | undefined;
}): PoolSettings | undefined {
  return stage.pool ?? (stage.balance === 'latency' ? DEFAULT_POOL_SETTINGS : undefined);
}
