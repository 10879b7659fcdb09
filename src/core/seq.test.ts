import { describe, expect, it } from 'vitest';
import { seqDiff16, seqDiff32, seqLess32, seqNext32 } from './seq.js';

describe('seq math', () => {
  it('is wraparound-safe on u32', () => {
    expect(seqDiff32(0xffff_fffe, 1)).toBe(3);
    expect(seqDiff32(1, 0xffff_fffe)).toBe(-3);
    expect(seqLess32(0xffff_ffff, 0)).toBe(true);
    expect(seqLess32(0, 0xffff_ffff)).toBe(false);
    expect(seqNext32(0xffff_ffff)).toBe(0);
  });

  it('is wraparound-safe on u16', () => {
    expect(seqDiff16(65535, 2)).toBe(3);
    expect(seqDiff16(2, 65535)).toBe(-3);
  });
});
