import { describe, expect, it } from 'vitest';
import { besselI0, designBank, gcd, kaiserBeta, RESAMPLER_QUALITY } from './filter-design.js';

describe('filter design', () => {
  it('has the Kaiser building blocks right', () => {
    expect(besselI0(0)).toBe(1);
    expect(besselI0(1)).toBeCloseTo(1.2660658777520082, 14);
    expect(besselI0(5)).toBeCloseTo(27.239871823604442, 11);
    expect(kaiserBeta(80)).toBeCloseTo(7.85726, 5);
    expect(gcd(22050, 48000)).toBe(150);
  });

  it('reduces the ratio and builds a unity-DC, linear-phase bank', () => {
    const bank = designBank(22050, 48000, 'medium');
    expect([bank.up, bank.down]).toEqual([320, 147]);
    expect(designBank(48000, 22050, 'medium').up).toBe(147);
    expect(designBank(22050, 48000, 'medium')).toBe(bank); // cached
    const { up, tapsPerPhase: k, coeffs, delay, down } = bank;
    for (let p = 0; p < up; p++) {
      let sum = 0;
      for (let q = 0; q < k; q++) {
        sum += coeffs[p * k + q] ?? 0;
      }
      expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
    }
    // Prototype tap t is at phase t mod L, position K − 1 − ⌊t / L⌋; symmetric about D·M.
    const tap = (t: number): number =>
      t < 0 || t >= up * k ? 0 : (coeffs[(t % up) * k + (k - 1 - Math.floor(t / up))] ?? 0);
    const centre = delay * down;
    for (let m = 0; m < centre; m += 37) {
      expect(tap(centre + m)).toBeCloseTo(tap(centre - m), 9);
    }
    expect(tap(centre)).toBeGreaterThan(tap(centre + 1));
  });

  it('documents the quality presets', () => {
    expect(RESAMPLER_QUALITY.medium).toEqual({ passband: 0.45, stopband: 0.5, attenuationDb: 80 });
  });
});
