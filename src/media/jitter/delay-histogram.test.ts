import { describe, expect, it } from 'vitest';
import { DelayHistogram } from './delay-histogram.js';

describe('DelayHistogram', () => {
  it('is the plain distribution of the samples while warming up', () => {
    const h = new DelayHistogram(1, 100, 0.999);
    for (let d = 0; d < 100; d++) {
      h.add(d + 0.5);
    }
    expect(h.count).toBe(100);
    expect(h.quantileMs(0.5)).toBe(50);
    expect(h.quantileMs(0.95)).toBe(95);
    expect(h.fractionAbove(90)).toBeCloseTo(0.1, 10);
  });

  it('forgets old samples with the forget factor', () => {
    const h = new DelayHistogram(1, 100, 0.99);
    for (let i = 0; i < 1000; i++) {
      h.add(80);
    }
    for (let i = 0; i < 300; i++) {
      h.add(5);
    }
    // Mass left at 80 ms: 0.99^300 ≈ 4.9 %.
    expect(h.fractionAbove(50)).toBeCloseTo(0.99 ** 300, 6);
    expect(h.quantileMs(0.9)).toBe(6);
    expect(h.quantileMs(0.99)).toBe(81);
  });

  it('stays exact over many samples (lazy decay renormalises)', () => {
    const h = new DelayHistogram(1, 50, 0.9);
    for (let i = 0; i < 20_000; i++) {
      h.add(i % 2 === 0 ? 10 : 20);
    }
    expect(h.fractionAbove(15)).toBeGreaterThan(0.4);
    expect(h.fractionAbove(15)).toBeLessThan(0.6);
    expect(h.fractionAbove(0)).toBeCloseTo(1, 9);
  });

  it('shifts mass when the reference minimum moves, clamping at both ends', () => {
    const h = new DelayHistogram(1, 10, 0.99);
    h.add(0.5);
    h.add(9.5);
    h.shift(3); // delays grew by 3 ms
    expect(h.quantileMs(0.5)).toBe(4);
    expect(h.quantileMs(1)).toBe(11); // merged into the overflow bucket
    h.shift(-6); // delays shrank by 6 ms
    expect(h.quantileMs(0.5)).toBe(1);
    expect(h.fractionAbove(0)).toBeCloseTo(1, 12);
  });
});
