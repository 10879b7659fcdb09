import { describe, expect, it } from 'vitest';
import { FixedBuffer } from './fixed-buffer.js';
import { JitterBuffer } from './jitter-buffer.js';
import { compareOnTrace, oracleFixedDelayMs, replay, replayTable } from './replay.js';
import { burstTrace, cleanTrace, jitterTrace, stepTrace } from './traces.js';

function byLabel(rows: ReturnType<typeof compareOnTrace>, prefix: string) {
  const row = rows.find((r) => r.buffer.startsWith(prefix));
  if (row === undefined) {
    throw new Error(`no row ${prefix}`);
  }
  return row;
}

describe('trace replay', () => {
  it('clean: added delay within one frame, converged within 2 s, nothing lost', () => {
    const r = replay(cleanTrace(), 'adaptive', () => new JitterBuffer<number>());
    expect(r.lateLoss).toBe(0);
    expect(r.concealedRatio).toBe(0);
    expect(r.meanAddedMs).toBeLessThanOrEqual(20);
    expect(r.p95AddedMs).toBeLessThanOrEqual(21);
    expect(r.finalDelayMs).toBeLessThanOrEqual(22);
    expect(r.convergenceMs).toBeLessThanOrEqual(2000);
  });

  it('jitter: adaptive late-loss ≤ 1 % at a delay within 10 ms of the oracle fixed buffers', () => {
    const rows = compareOnTrace(jitterTrace());
    const adaptive = byLabel(rows, 'adaptive');
    const q99 = byLabel(rows, 'fixed'); // q99 oracle is the first fixed row
    const for1 = rows[3]!;
    expect(for1.buffer).toMatch(/1% oracle/);
    expect(for1.lateLoss).toBeLessThanOrEqual(0.01);
    expect(adaptive.lateLoss).toBeLessThanOrEqual(0.01);
    expect(adaptive.meanAddedMs).toBeLessThanOrEqual(q99.meanAddedMs + 10);
    expect(adaptive.meanAddedMs).toBeLessThanOrEqual(for1.meanAddedMs + 10);
    // Better than a plain q0.95 controller on both axes.
    const plain = byLabel(rows, 'q0.95');
    expect(adaptive.lateLoss).toBeLessThan(plain.lateLoss);
    expect(adaptive.meanAddedMs).toBeLessThan(plain.meanAddedMs);
    // The trace's own 1 % loss is concealed on top.
    expect(adaptive.concealedRatio).toBeGreaterThan(0.005);
    expect(adaptive.concealedRatio).toBeLessThan(0.03);
  });

  it('burst: only the stalled frames are lost and the target does not jump', () => {
    const rows = compareOnTrace(burstTrace());
    const adaptive = byLabel(rows, 'adaptive');
    expect(adaptive.lateLoss).toBeLessThanOrEqual(6 / 3000);
    expect(adaptive.finalDelayMs).toBeLessThanOrEqual(22);
    expect(adaptive.meanAddedMs).toBeLessThanOrEqual(20);
  });

  it('step: converges after the jitter step and keeps late-loss ≤ 1 %', () => {
    const r = replay(stepTrace(), 'adaptive', () => new JitterBuffer<number>());
    expect(r.lateLoss).toBeLessThanOrEqual(0.01);
    expect(r.finalDelayMs).toBeGreaterThan(40);
    expect(r.convergenceMs).toBeLessThan(10_000);
  });

  it('sizes the q99 oracle from the trace and replays a fixed buffer', () => {
    const trace = jitterTrace();
    const d = oracleFixedDelayMs(trace);
    expect(d).toBeGreaterThan(60);
    const r = replay(trace, 'fixed', () => new FixedBuffer<number>(d));
    expect(r.lateLoss).toBeLessThanOrEqual(0.01);
    expect(r.sent).toBe(3000);
    expect(r.received).toBeLessThan(3000);
  });

  it('renders the comparison table', () => {
    const table = replayTable([cleanTrace({ frames: 500 })]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| trace \| buffer \| late-loss % \| mean added ms \| p95 added ms/);
    expect(lines).toHaveLength(2 + 4);
  });
});
