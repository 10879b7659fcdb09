import { DelayHistogram } from './delay-histogram.js';
import type { ResolvedJitterOptions } from './jitter-types.js';

/**
 * The timing half of the jitter buffer, pure like it: the transit anchor (the minimum
 * transit seen, slowly forgotten), the interarrival jitter estimate and the target delay
 * from the forgetting histogram of relative delays. No I/O, no clock reads.
 */
export class DelayEstimator {
  readonly #o: ResolvedJitterOptions;
  readonly #fixed: number | undefined;
  readonly #hist: DelayHistogram;
  #anchorMs = 0;
  #blockMin = Infinity;
  #blockCount = 0;
  #targetMs = 0;
  #prevTransit = NaN;
  #jitterMs = 0;

  constructor(o: ResolvedJitterOptions, fixedDelayMs: number | undefined) {
    this.#o = o;
    this.#fixed = fixedDelayMs;
    this.#hist = new DelayHistogram(o.bucketMs, o.maxDelayMs, o.forgetFactor);
  }

  /** Minimum transit seen (arrival − media time), in bucket steps. */
  get anchorMs(): number {
    return this.#anchorMs;
  }

  get targetMs(): number {
    return this.#targetMs;
  }

  /** Smoothed interarrival jitter (RFC 3550 style, 1/16 gain). */
  get jitterMs(): number {
    return this.#jitterMs;
  }

  /** A new stream, anchored at the first frame's transit. */
  reset(anchorMs: number): void {
    this.#anchorMs = anchorMs;
    this.#blockMin = Infinity;
    this.#blockCount = 0;
    this.#hist.reset();
    this.#targetMs = this.#fixed ?? this.#o.startDelayMs;
    this.#prevTransit = NaN;
  }

  /** Jitter, anchor and delay-histogram update for one non-duplicate arrival. */
  observe(transit: number): void {
    if (this.#prevTransit === this.#prevTransit) {
      this.#jitterMs += (Math.abs(transit - this.#prevTransit) - this.#jitterMs) / 16;
    }
    this.#prevTransit = transit;
    const bucket = this.#o.bucketMs;
    if (transit < this.#anchorMs) {
      const k = Math.ceil((this.#anchorMs - transit) / bucket);
      this.#anchorMs -= k * bucket;
      this.#hist.shift(k);
    }
    if (transit < this.#blockMin) {
      this.#blockMin = transit;
    }
    if (++this.#blockCount >= this.#o.anchorWindowFrames) {
      const k = Math.floor((this.#blockMin - this.#anchorMs) / bucket);
      if (k > 0) {
        this.#anchorMs += k * bucket;
        this.#hist.shift(-k);
      }
      this.#blockMin = Infinity;
      this.#blockCount = 0;
    }
    if (this.#fixed !== undefined) {
      return;
    }
    const o = this.#o;
    this.#hist.add(transit - this.#anchorMs);
    this.#targetMs =
      this.#hist.count < o.warmupFrames
        ? o.startDelayMs
        : Math.min(
            o.maxDelayMs,
            Math.max(
              o.minDelayMs,
              this.#hist.quantileMs(o.quantile) + o.pullPeriodMs - o.lateGraceMs,
            ),
          );
  }
}
