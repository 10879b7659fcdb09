/** What a transport does with one inbound message. */
export type RateVerdict = 'ok' | 'drop' | 'close';

/**
 * The inbound message policy of every transport (WS, WebRTC events, carriers): a token
 * bucket of `ratePerSecond` with a burst of two seconds' worth. A message beyond it is
 * dropped (the caller counts it); the excess is forgiven only once the client slowed enough
 * for the bucket to refill to one second's worth, and a client whose unforgiven excess
 * passes one second's worth of messages is closed (1008). So a short burst costs a few
 * messages, while a sustained flood — even one that lets a token trickle back now and then —
 * is closed within about a second of excess.
 */
export class MessageRateLimiter {
  readonly #rate: number;
  #tokens: number;
  #lastRefillMs: number;
  #excess = 0;

  constructor(ratePerSecond: number, nowMs: number) {
    if (!(ratePerSecond > 0)) {
      throw new RangeError('ratePerSecond must be > 0');
    }
    this.#rate = ratePerSecond;
    this.#tokens = ratePerSecond * 2;
    this.#lastRefillMs = nowMs;
  }

  /** Messages beyond the rate since the excess was last forgiven. */
  get excess(): number {
    return this.#excess;
  }

  take(nowMs: number): RateVerdict {
    const rate = this.#rate;
    this.#tokens = Math.min(rate * 2, this.#tokens + ((nowMs - this.#lastRefillMs) * rate) / 1000);
    this.#lastRefillMs = nowMs;
    if (this.#tokens >= rate) {
      this.#excess = 0;
    }
    if (this.#tokens < 1) {
      return ++this.#excess > rate ? 'close' : 'drop';
    }
    this.#tokens -= 1;
    return 'ok';
  }
}
