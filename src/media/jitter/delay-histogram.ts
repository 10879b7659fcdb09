/**
 * Forgetting histogram of relative arrival delay, NetEQ style (libwebrtc `Histogram`).
 *
 * Fixed-width buckets in a typed array. Each sample first decays all existing mass by the
 * forget factor f, then adds (1 − f) to its own bucket, so the histogram is a probability
 * distribution weighted towards recent samples (time constant ≈ 1 / (1 − f) samples).
 * While fewer samples than that have been seen, f is n / (n + 1), which makes the histogram
 * the plain average of the samples so far: a fast, unbiased start.
 *
 * The decay is applied lazily through one global scale, so `add` is O(1) and allocation
 * free; `quantileMs` scans the buckets (O(buckets)). The last bucket collects everything at
 * or above the range.
 */
export class DelayHistogram {
  readonly bucketMs: number;
  readonly #mass: Float64Array;
  readonly #forget: number;
  /** True mass of a bucket = stored mass × scale. */
  #scale = 1;
  /** Sum of the stored masses (true total is always 1 once a sample was added). */
  #total = 0;
  #count = 0;

  constructor(bucketMs: number, rangeMs: number, forgetFactor: number) {
    if (!(bucketMs > 0) || !(rangeMs > 0)) {
      throw new RangeError('bucketMs and rangeMs must be > 0');
    }
    if (!(forgetFactor > 0 && forgetFactor < 1)) {
      throw new RangeError('forgetFactor must be in (0, 1)');
    }
    this.bucketMs = bucketMs;
    this.#mass = new Float64Array(Math.ceil(rangeMs / bucketMs) + 1);
    this.#forget = forgetFactor;
  }

  /** Number of samples added since the last reset. */
  get count(): number {
    return this.#count;
  }

  get bucketCount(): number {
    return this.#mass.length;
  }

  add(delayMs: number): void {
    const last = this.#mass.length - 1;
    const b = Math.min(last, Math.max(0, Math.floor(delayMs / this.bucketMs)));
    if (this.#count === 0) {
      this.#mass.fill(0);
      this.#mass[b] = 1;
      this.#scale = 1;
      this.#total = 1;
      this.#count = 1;
      return;
    }
    const f = Math.min(this.#forget, this.#count / (this.#count + 1));
    this.#scale *= f;
    const inc = (1 - f) / this.#scale;
    this.#mass[b] = (this.#mass[b] ?? 0) + inc;
    this.#total += inc;
    this.#count++;
    if (this.#scale < 1e-150) {
      this.#renormalize();
    }
  }

  /**
   * Upper edge in ms of the bucket where the cumulative mass first reaches `q`, i.e. a
   * delay that at least a fraction q of the (weighted) samples did not exceed. 0 when empty.
   */
  quantileMs(q: number): number {
    if (this.#count === 0) {
      return 0;
    }
    const threshold = q * this.#total;
    const n = this.#mass.length;
    let cum = 0;
    for (let b = 0; b < n; b++) {
      cum += this.#mass[b] ?? 0;
      if (cum >= threshold) {
        return (b + 1) * this.bucketMs;
      }
    }
    return n * this.bucketMs;
  }

  /** Weighted fraction of samples in buckets at or above `delayMs`. */
  fractionAbove(delayMs: number): number {
    if (this.#count === 0) {
      return 0;
    }
    const n = this.#mass.length;
    let sum = 0;
    for (let b = Math.max(0, Math.floor(delayMs / this.bucketMs)); b < n; b++) {
      sum += this.#mass[b] ?? 0;
    }
    return sum / this.#total;
  }

  /**
   * Move all mass by `k` buckets: positive when every recorded delay grew (the reference
   * minimum dropped), negative when they shrank. Mass pushed past either end is merged
   * into the end bucket.
   */
  shift(k: number): void {
    const m = this.#mass;
    const last = m.length - 1;
    if (k === 0 || this.#count === 0) {
      return;
    }
    if (k > 0) {
      const n = Math.min(k, last);
      let tail = 0;
      for (let b = last - n; b <= last; b++) {
        tail += m[b] ?? 0;
      }
      m.copyWithin(n, 0, last - n);
      m[last] = tail;
      m.fill(0, 0, n);
    } else {
      const n = Math.min(-k, last);
      let head = 0;
      for (let b = 0; b <= n; b++) {
        head += m[b] ?? 0;
      }
      m.copyWithin(0, n);
      m[0] = head;
      m.fill(0, m.length - n);
    }
  }

  reset(): void {
    this.#mass.fill(0);
    this.#scale = 1;
    this.#total = 0;
    this.#count = 0;
  }

  #renormalize(): void {
    const m = this.#mass;
    let total = 0;
    for (let b = 0; b < m.length; b++) {
      const v = (m[b] ?? 0) * this.#scale;
      m[b] = v;
      total += v;
    }
    this.#total = total;
    this.#scale = 1;
  }
}
