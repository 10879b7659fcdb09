import { describe, expect, it } from 'vitest';
import { RELAY_SAMPLE_RATES, RESAMPLER_BOUNDS } from './bounds.js';
import { RESAMPLER_QUALITY, type ResamplerQuality } from './filter-design.js';
import { sweepPair } from './measure.js';

const pairs = RELAY_SAMPLE_RATES.flatMap((from) =>
  RELAY_SAMPLE_RATES.filter((to) => to !== from).map((to) => [from, to] as const),
);

describe.each(['low', 'medium', 'high'] as ResamplerQuality[])('sine sweep, %s quality', (q) => {
  const bounds = RESAMPLER_BOUNDS[q];
  it.each(pairs)('%i → %i Hz stays within the stated bounds', (from, to) => {
    const r = sweepPair(from, to, q, RESAMPLER_QUALITY[q]);
    expect(r.tones).toBeGreaterThanOrEqual(11);
    expect(r.passbandErrorDb).toBeLessThanOrEqual(bounds.passbandToleranceDb);
    if (from > to) {
      expect(r.aliasRejectionDb).toBeGreaterThanOrEqual(bounds.aliasRejectionDb);
    } else {
      expect(r.aliasRejectionDb).toBe(Infinity);
      expect(r.imageRejectionDb).toBeGreaterThanOrEqual(bounds.imageRejectionDb);
    }
  });
});
