import { describe, expect, it } from 'vitest';
import { rmsDbfs } from './pcm.js';

/** The definition, sample by sample. */
function reference(pcm: Buffer): number {
  const n = pcm.length >> 1;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += pcm.readInt16LE(i * 2) ** 2;
  }
  const rms = Math.sqrt(sum / n);
  return rms === 0 ? -Infinity : 20 * Math.log10(rms / 32768);
}

describe('rmsDbfs', () => {
  it('equals the sample-by-sample definition, negative samples and odd offsets included', () => {
    const backing = Buffer.alloc(2 * 641 + 1);
    let x = 12345;
    for (let i = 0; i < backing.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      backing[i] = x >>> 24;
    }
    for (const pcm of [backing.subarray(0, 640), backing.subarray(1, 641), backing.subarray(3)]) {
      expect(rmsDbfs(pcm)).toBeCloseTo(reference(pcm), 10);
    }
  });

  it('is 0 dBFS for a full-scale square wave, -Infinity for silence and an empty buffer', () => {
    const square = Buffer.alloc(640);
    for (let i = 0; i < 320; i++) {
      square.writeInt16LE(i % 2 === 0 ? -32768 : 32767, i * 2);
    }
    expect(rmsDbfs(square)).toBeCloseTo(reference(square), 10);
    expect(rmsDbfs(square)).toBeGreaterThan(-0.01);
    expect(rmsDbfs(Buffer.alloc(640))).toBe(-Infinity);
    expect(rmsDbfs(Buffer.alloc(0))).toBe(-Infinity);
  });

  it('ignores a trailing odd byte', () => {
    const pcm = Buffer.from([0x00, 0x40, 0xff]);
    expect(rmsDbfs(pcm)).toBeCloseTo(20 * Math.log10(0x4000 / 32768), 10);
  });
});
