import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FrameCounter, FrameHistogram } from './frame-metrics.js';
import { createMetrics } from './metrics.js';

const BUCKETS = [0.0001, 0.001, 0.01];

function pair(): { lean: Registry; plain: Registry; a: FrameHistogram; b: Histogram } {
  const lean = new Registry();
  const plain = new Registry();
  const cfg = { name: 'x_seconds', help: 'X', buckets: BUCKETS };
  const a = new FrameHistogram({ ...cfg, registers: [lean] });
  const b = new Histogram({ ...cfg, registers: [plain] });
  return { lean, plain, a, b };
}

describe('FrameHistogram', () => {
  it('exposes the same /metrics text as a prom-client Histogram fed the same values', async () => {
    const { lean, plain, a, b } = pair();
    // Below, on and between the bounds, above the last one, and zero.
    for (const v of [0, 0.00005, 0.0001, 0.0002, 0.001, 0.005, 0.01, 0.02, 3]) {
      a.observe(v);
      b.observe(v);
    }
    expect(await lean.metrics()).toBe(await plain.metrics());
    // What a cluster aggregator reads: the same series, values and labels.
    const series = async (r: Registry): Promise<unknown> =>
      (await r.getMetricsAsJSON()).map((m) => ({
        name: m.name,
        type: m.type,
        aggregator: m.aggregator,
        values: m.values.map((v) => [v.labels, v.value, 'metricName' in v ? v.metricName : '']),
      }));
    expect(await series(lean)).toEqual(await series(plain));
    expect(await lean.metrics()).toContain('x_seconds_bucket{le="0.001"} 5');
  });

  it('ignores a non-finite value instead of throwing, and reset() zeroes every series', async () => {
    const { lean, plain, a, b } = pair();
    a.observe(Number.NaN);
    a.observe(Number.POSITIVE_INFINITY);
    a.observe(0.002);
    b.observe(0.002);
    expect(await lean.metrics()).toBe(await plain.metrics());
    a.reset();
    expect(await lean.metrics()).toContain('x_seconds_count 0');
    expect(await lean.metrics()).toContain('x_seconds_bucket{le="+Inf"} 0');
  });

  it('is what the relay uses for relay_frame_relay_seconds', async () => {
    const m = createMetrics();
    expect(m.frameRelay).toBeInstanceOf(FrameHistogram);
    m.frameRelay.observe(0.0003);
    const text = await m.registry.metrics();
    expect(text).toContain('# TYPE relay_frame_relay_seconds histogram');
    expect(text).toContain('relay_frame_relay_seconds_bucket{le="0.0005"} 1');
    expect(text).toContain('relay_frame_relay_seconds_count 1');
  });
});

describe('FrameCounter', () => {
  it('shows on every scrape what was counted, like a prom-client Counter', async () => {
    const lean = new Registry();
    const plain = new Registry();
    const a = new FrameCounter({ name: 'y_total', help: 'Y', registers: [lean] });
    const b = new Counter({ name: 'y_total', help: 'Y', registers: [plain] });
    expect(await lean.metrics()).toBe(await plain.metrics());
    for (let i = 0; i < 5; i++) {
      a.inc();
      b.inc();
    }
    a.inc(3);
    b.inc(3);
    expect(await lean.metrics()).toBe(await plain.metrics());
    expect(await lean.metrics()).toContain('y_total 8');
    a.inc();
    b.inc();
    expect(await lean.metrics()).toBe(await plain.metrics());
    expect((await a.get()).values[0]?.value).toBe(9);
    a.inc();
    a.reset();
    expect((await a.get()).values[0]?.value).toBe(0);
  });

  it('is what the relay uses for relay_frames_in_total and relay_frames_out_total', () => {
    const m = createMetrics();
    expect(m.framesIn).toBeInstanceOf(FrameCounter);
    expect(m.framesOut).toBeInstanceOf(FrameCounter);
  });
});
