import type { Logger } from 'pino';
import type { Metrics } from '../../../observability/metrics.js';

/** Bad-message log lines per call before only counting. */
const MAX_LOGGED_PROBLEMS = 5;

/**
 * A call's malformed-message budget and problem log: `maxBadMessages` refilling at
 * `badMessagesPerSecond`, and only the first few problems of a call logged (no payloads).
 */
export class CallProblems {
  readonly #max: number;
  readonly #perSecond: number;
  readonly #log: () => Logger;
  #tokens: number;
  #refillMs = 0;
  #logged = 0;

  constructor(o: { maxBadMessages: number; badMessagesPerSecond: number }, log: () => Logger) {
    this.#max = o.maxBadMessages;
    this.#perSecond = o.badMessagesPerSecond;
    this.#tokens = o.maxBadMessages;
    this.#log = log;
  }

  /** One malformed message: logged (a few per call); true once the budget is exhausted. */
  malformed(reason: string, nowMs: number): boolean {
    this.log(reason, false);
    if (this.#refillMs === 0) {
      this.#refillMs = nowMs;
    }
    this.#tokens = Math.min(
      this.#max,
      this.#tokens + ((nowMs - this.#refillMs) * this.#perSecond) / 1000,
    );
    this.#refillMs = nowMs;
    this.#tokens -= 1;
    if (this.#tokens < 0) {
      this.#log().warn('carrier sent too many malformed messages');
      return true;
    }
    return false;
  }

  log(reason: string, reported: boolean): void {
    if (this.#logged >= MAX_LOGGED_PROBLEMS) {
      return;
    }
    this.#logged++;
    if (reported) {
      this.#log().warn({ reason }, 'carrier reported an error');
    } else {
      this.#log().debug({ reason }, 'carrier message rejected');
    }
  }
}

/** What a call counts as it goes (label handles resolved once per call). */
export function callCounters(metrics: Metrics) {
  const dropped = metrics.framesDropped;
  return {
    bad: dropped.labels('carrier_bad_message'),
    reported: dropped.labels('carrier_reported_error'),
    rate: dropped.labels('carrier_rate_limited'),
    early: dropped.labels('carrier_media_before_start'),
    pendingOverflow: dropped.labels('carrier_auth_pending'),
    duplicate: dropped.labels('carrier_duplicate'),
    late: dropped.labels('carrier_late'),
    framesIn: metrics.framesIn,
  };
}

export type CallCounters = ReturnType<typeof callCounters>;
