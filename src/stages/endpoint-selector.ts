/** How a stage spreads calls over its endpoints. */
export type Balance = 'failover' | 'round-robin' | 'latency';

/** The endpoints one call tries, in order: `pick(0)` first, `pick(1)` on fallback, … */
export interface EndpointRoute {
  readonly count: number;
  pick(attempt: number): string;
}

/**
 * Picks endpoints for one stage of one pipeline. There is one per stage and endpoint list
 * per process (see `EndpointSelectors`), shared by every session, so round-robin rotates
 * across turns and sessions. Each call takes a route: failover always starts on the first
 * endpoint, round-robin on the next one in turn; a fallback walks on from the route's start.
 */
export class EndpointSelector {
  readonly #endpoints: readonly string[];
  readonly #roundRobin: boolean;
  #next = 0;

  constructor(endpoints: readonly string[], balance: Balance) {
    if (endpoints.length === 0) {
      throw new RangeError('an endpoint selector needs at least one endpoint');
    }
    this.#endpoints = endpoints;
    this.#roundRobin = balance === 'round-robin';
  }

  get count(): number {
    return this.#endpoints.length;
  }

  /** The route of a new call. */
  route(): EndpointRoute {
    const n = this.#endpoints.length;
    let base = 0;
    if (this.#roundRobin) {
      base = this.#next;
      this.#next = (this.#next + 1) % n;
    }
    const endpoints = this.#endpoints;
    return {
      count: n,
      pick: (attempt) => endpoints[(base + attempt) % n] as string,
    };
  }
}

/** The process's endpoint selectors, one per stage and endpoint list. */
export class EndpointSelectors {
  readonly #byKey = new Map<string, EndpointSelector>();

  get(stage: string, endpoints: readonly string[], balance: Balance): EndpointSelector {
    const key = `${stage}|${balance}|${endpoints.join('\n')}`;
    let s = this.#byKey.get(key);
    if (s === undefined) {
      s = new EndpointSelector(endpoints, balance);
      this.#byKey.set(key, s);
    }
    return s;
  }
}
