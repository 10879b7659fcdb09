/** Growable Float64Array of samples (no per-sample allocation). */
export class Samples {
  #data: Float64Array;
  #n = 0;

  constructor(capacity = 1024) {
    this.#data = new Float64Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.#n;
  }

  push(v: number): void {
    if (this.#n === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#n++] = v;
  }

  clear(): void {
    this.#n = 0;
  }

  /** A sorted copy. */
  sorted(): Float64Array {
    return this.#data.slice(0, this.#n).sort();
  }
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Nearest-rank quantile of an ascending array; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(values: Samples | readonly number[]): Summary {
  const s = values instanceof Samples ? values.sorted() : Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) {
    sum += v;
  }
  return {
    n: s.length,
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    p999: quantile(s, 0.999),
    max: s.length === 0 ? NaN : s[s.length - 1]!,
    mean: s.length === 0 ? NaN : sum / s.length,
  };
}

export function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) {
    return NaN;
  }
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median with the min–max of the values it summarises (e.g. round medians). */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const f = values.filter((v) => Number.isFinite(v));
  return {
    median: median(f),
    min: f.length === 0 ? NaN : Math.min(...f),
    max: f.length === 0 ? NaN : Math.max(...f),
  };
}

/** Least-squares line y = intercept + slope·x, with r². */
export function linearFit(
  xs: readonly number[],
  ys: readonly number[],
): { slope: number; intercept: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  return {
    slope,
    intercept: my - slope * mx,
    r2: sxx === 0 || syy === 0 ? NaN : (sxy * sxy) / (sxx * syy),
  };
}

/** A number for a Markdown cell: fixed digits, "–" for NaN. */
export function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

/** "median (min–max)". */
export function fmtSpread(s: Spread, digits = 2): string {
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}
