import {
  Counter,
  Histogram,
  type MetricObjectWithValues,
  type MetricValueWithName,
  type Registry,
} from 'prom-client';

export interface FrameHistogramConfig {
  name: string;
  help: string;
  /** Upper bounds in seconds, ascending. */
  buckets: readonly number[];
  registers: Registry[];
}

type Snapshot = MetricObjectWithValues<MetricValueWithName<string>>;

const HISTOGRAM_TYPE = 'histogram' as unknown as Snapshot['type'];
const noCollect = (): void => undefined;

/**
 * A label-free Prometheus histogram for observations made once per audio frame. prom-client's
 * `observe` hashes and validates a label set and looks the series up in a map on every call;
 * here an observation only finds its bucket and adds to a typed array, and the cumulative
 * `_bucket`, `_sum` and `_count` series are derived when the registry is scraped. Same name,
 * type, buckets and meaning on `/metrics` as a plain `Histogram`.
 */
export class FrameHistogram extends Histogram {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: Float64Array;
  /** Per bucket, not cumulative; the last slot counts values above the largest bound. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(config: FrameHistogramConfig) {
    super({ ...config, buckets: [...config.buckets] });
    this.#name = config.name;
    this.#help = config.help;
    this.#bounds = Float64Array.from(config.buckets);
    this.#counts = new Float64Array(config.buckets.length + 1);
    // The base class installs `observe` as an own property in its constructor; replace it.
    Object.defineProperty(this, 'observe', {
      value: (a: unknown, b?: unknown): void => this.record(typeof a === 'number' ? a : b),
      writable: true,
      configurable: true,
    });
  }

  /** One observation, in seconds. A non-finite value is ignored (never thrown on the hot path). */
  record(value: unknown): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return;
    }
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) {
      i++;
    }
    this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  override get(): Promise<Snapshot> {
    return Promise.resolve(this.#snapshot());
  }

  /** What the registry formats for `/metrics` (it prefers this method when present). */
  getForPromString(): Promise<Snapshot> {
    return Promise.resolve(this.#snapshot());
  }

  override reset(): void {
    super.reset();
    if (!(#counts in this)) {
      return; // called by the base constructor, before this class's fields exist
    }
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }

  #snapshot(): Snapshot {
    const name = this.#name;
    const bucketName = `${name}_bucket`;
    const values: MetricValueWithName<string>[] = [];
    let acc = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      acc += this.#counts[i]!;
      values.push({ labels: { le: this.#bounds[i]! }, value: acc, metricName: bucketName });
    }
    values.push(
      { labels: { le: '+Inf' }, value: this.#count, metricName: bucketName },
      { labels: {}, value: this.#sum, metricName: `${name}_sum` },
      { labels: {}, value: this.#count, metricName: `${name}_count` },
    );
    // prom-client types `type` as an enum its runtime never exports: the value is the string.
    return {
      name,
      help: this.#help,
      type: HISTOGRAM_TYPE,
      values,
      aggregator: 'sum',
      collect: noCollect,
    };
  }
}

export interface FrameCounterConfig {
  name: string;
  help: string;
  registers: Registry[];
}

/**
 * A label-free Prometheus counter incremented once per audio frame: `inc()` adds to a plain
 * number, folded into the counter when the registry is scraped (prom-client's own `inc`
 * hashes and validates a label set per call). Same series on `/metrics` as a plain `Counter`.
 */
export class FrameCounter extends Counter {
  #pending = 0;

  constructor(config: FrameCounterConfig) {
    super({
      ...config,
      collect: () => {
        const n = this.#pending;
        this.#pending = 0;
        if (n > 0) {
          baseInc(n);
        }
      },
    });
    // The base class installs `inc` as an own property in its constructor: keep it for the
    // fold at scrape time and replace it with the counting one.
    const baseInc: (n: number) => void = this.inc.bind(this);
    Object.defineProperty(this, 'inc', {
      value: (a?: unknown, b?: unknown): void => {
        const n = typeof a === 'number' ? a : typeof b === 'number' ? b : 1;
        if (n > 0 && Number.isFinite(n)) {
          this.#pending += n;
        }
      },
      writable: true,
      configurable: true,
    });
  }

  override reset(): void {
    super.reset();
    if (#pending in this) {
      this.#pending = 0;
    }
  }
}
