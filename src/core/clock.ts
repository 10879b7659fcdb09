import { performance } from 'node:perf_hooks';

const ORIGIN = performance.timeOrigin;

/**
 * The relay's clock: epoch milliseconds with sub-millisecond resolution, advancing
 * monotonically (performance.now based), so intervals never go negative and values
 * from processes on one machine are comparable.
 */
export function nowMs(): number {
  return ORIGIN + performance.now();
}

/** A clock that tests and benchmarks can replace. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: nowMs };
