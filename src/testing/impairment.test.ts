import { describe, expect, it } from 'vitest';
import { UPLINK_PROFILES, chunkSizes, impair } from './impairment.js';

describe('impairment harness', () => {
  it('is deterministic for a seed', () => {
    const a = impair(200, 20, { name: 'mix', jitterMs: 30, duplicateRate: 0.1, lossRate: 0.05 }, 9);
    const b = impair(200, 20, { name: 'mix', jitterMs: 30, duplicateRate: 0.1, lossRate: 0.05 }, 9);
    expect(a).toEqual(b);
    expect(a.lost.size).toBeGreaterThan(0);
    expect(a.sends.some((s) => s.duplicate)).toBe(true);
  });

  it('reorders only within the window and sends every message once', () => {
    const s = impair(100, 20, UPLINK_PROFILES.reorder100, 3);
    const seen = s.sends.map((x) => x.index);
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(seen).not.toEqual([...seen].sort((x, y) => x - y));
    s.sends.forEach((x, slot) => expect(Math.floor(x.index / 5)).toBe(Math.floor(slot / 5)));
  });

  it('stalls, then sends the backlog at the catch-up speed until it is back on time', () => {
    const s = impair(250, 20, UPLINK_PROFILES.stall2s, 1);
    const at = new Map(s.sends.map((x) => [x.index, x.atMs]));
    expect(at.get(48)).toBe(980); // last one before the stall
    expect(at.get(49)).toBe(3000); // first of the backlog, at resume
    expect(at.get(50)).toBe(3000 + 20 / 5);
    expect(at.get(100)).toBeCloseTo(3000 + (2020 - 1000) / 5);
    expect(at.get(249)).toBe(5000); // caught up: real time again
  });

  it('cuts chunks of odd byte counts that add up exactly', () => {
    const sizes = chunkSizes(16_000, 16, 30, 2, true, 5);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(16_000);
    expect(sizes.some((n) => n % 2 === 1)).toBe(true);
    expect(chunkSizes(1600, 16, 100, 2, false, 5)).toEqual([1600]);
  });
});
