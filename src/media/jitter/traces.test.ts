import { describe, expect, it } from 'vitest';
import {
  burstTrace,
  cleanTrace,
  jitterTrace,
  mulberry32,
  relativeDelayQuantile,
  standardTraces,
  stepTrace,
} from './traces.js';

describe('traces', () => {
  it('mulberry32 is deterministic and uniform-ish', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it('generates the same trace for the same seed', () => {
    expect(jitterTrace()).toEqual(jitterTrace());
    expect(jitterTrace({ seed: 9 })).not.toEqual(jitterTrace());
  });

  it('clean: 3000 frames, sub-ms jitter, seq and media time wrap', () => {
    const t = cleanTrace();
    expect(t.packets).toHaveLength(3000);
    expect(relativeDelayQuantile(t, 1)).toBeLessThan(1);
    expect(t.packets.some((p) => p.seq === 0)).toBe(true);
    expect(t.packets.some((p) => p.mediaTsMs < 1000)).toBe(true);
  });

  it('jitter: p95 relative delay ≈ 40 ms, ≈ 1 % reordered, ≈ 1 % lost', () => {
    const t = jitterTrace();
    expect(relativeDelayQuantile(t, 0.95)).toBeGreaterThan(36);
    expect(relativeDelayQuantile(t, 0.95)).toBeLessThan(44);
    const received = t.packets.filter((p) => !p.lost);
    const lostRate = 1 - received.length / t.packets.length;
    expect(lostRate).toBeGreaterThan(0.005);
    expect(lostRate).toBeLessThan(0.015);
    let reordered = 0;
    for (let i = 1; i < received.length; i++) {
      if (received[i]!.arrivalMs < received[i - 1]!.arrivalMs) {
        reordered++;
      }
    }
    expect(reordered / received.length).toBeGreaterThan(0.005);
    expect(reordered / received.length).toBeLessThan(0.03);
  });

  it('burst: one 120 ms stall whose frames arrive together', () => {
    const t = burstTrace();
    const delayed = t.packets.filter((p, i) => p.arrivalMs - i * 20 - t.packets[0]!.arrivalMs > 5);
    expect(delayed).toHaveLength(6);
    const spread = delayed.at(-1)!.arrivalMs - delayed[0]!.arrivalMs;
    expect(spread).toBeLessThan(1);
    expect(relativeDelayQuantile(t, 1)).toBeCloseTo(120, 0);
  });

  it('step: clean, then jittery from stepAtMs on', () => {
    const t = stepTrace();
    expect(t.stepAtMs).toBeDefined();
    const before = { ...t, packets: t.packets.slice(0, 1000) };
    expect(relativeDelayQuantile(before, 1)).toBeLessThan(1);
    expect(relativeDelayQuantile(t, 0.99)).toBeGreaterThan(30);
    expect(standardTraces().map((x) => x.name)).toEqual(['clean', 'jitter', 'burst', 'step']);
  });
});
