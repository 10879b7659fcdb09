import { describe, expect, it } from 'vitest';
import {
  alawDecode,
  alawDecodeSample,
  alawEncode,
  alawEncodeSample,
  g711Reference,
  mulawDecode,
  mulawDecodeSample,
  mulawEncode,
  mulawEncodeSample,
} from './g711.js';

function pcmOf(samples: readonly number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

function samplesOf(pcm: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < pcm.length; i += 2) {
    out.push(pcm.readInt16LE(i));
  }
  return out;
}

/** G.711 Table 2 (µ-law): 14-bit magnitude ((2q + 33) << seg) - 33; ×4 on the 16-bit scale. */
function mulawFromStandard(code: number): number {
  const c = ~code & 0xff;
  const seg = (c >> 4) & 7;
  const mag = (((2 * (c & 15) + 33) << seg) - 33) * 4;
  return c & 0x80 ? 0 - mag : mag;
}

/** G.711 Table 1 (A-law): 13-bit magnitude 2q + 1 (seg 0) or (2q + 33) << (seg - 1); ×8. */
function alawFromStandard(code: number): number {
  const c = code ^ 0x55;
  const seg = (c >> 4) & 7;
  const q = c & 15;
  const mag = (seg === 0 ? 2 * q + 1 : (2 * q + 33) << (seg - 1)) * 8;
  return c & 0x80 ? mag : 0 - mag;
}

function sineSnrDb(amplitude: number, codec: 'mulaw' | 'alaw'): number {
  const n = 8000;
  const src: number[] = [];
  for (let i = 0; i < n; i++) {
    src.push(Math.round(amplitude * Math.sin((2 * Math.PI * 1011 * i) / 8000 + 0.3)));
  }
  const pcm = pcmOf(src);
  const back = samplesOf(
    codec === 'mulaw' ? mulawDecode(mulawEncode(pcm)) : alawDecode(alawEncode(pcm)),
  );
  let sig = 0;
  let err = 0;
  src.forEach((s, i) => {
    sig += s * s;
    err += (s - (back[i] ?? 0)) ** 2;
  });
  return 10 * Math.log10(sig / err);
}

describe('µ-law', () => {
  it('decodes known code points', () => {
    expect(mulawDecodeSample(0xff)).toBe(0);
    expect(mulawDecodeSample(0x7f)).toBe(0);
    expect(mulawDecodeSample(0x00)).toBe(-32124);
    expect(mulawDecodeSample(0x80)).toBe(32124);
    expect(mulawDecodeSample(0xfe)).toBe(8);
    expect(mulawDecodeSample(0x7e)).toBe(-8);
    expect(mulawDecodeSample(0xef)).toBe(132);
    expect(mulawDecodeSample(0xf0)).toBe(120);
  });

  it('encodes known values', () => {
    expect(samplesOf(pcmOf([0]))).toEqual([0]);
    expect([...mulawEncode(pcmOf([0, 8, -8, 32767, -32768, 32124, -32124]))]).toEqual([
      0xff, 0xfe, 0x7e, 0x80, 0x00, 0x80, 0x00,
    ]);
  });

  it('matches the G.711 table for all 256 codes', () => {
    for (let c = 0; c < 256; c++) {
      expect(mulawDecodeSample(c)).toBe(mulawFromStandard(c));
    }
  });

  it('tables agree with the reference algorithm for every 16-bit sample', () => {
    for (let x = -32768; x < 32768; x++) {
      if (mulawEncodeSample(x) !== g711Reference.linearToMulaw(x)) {
        expect.fail(`sample ${x}`);
      }
    }
  });

  it('decode → encode returns the same code (0x7f, negative zero, maps to 0xff)', () => {
    for (let c = 0; c < 256; c++) {
      expect(mulawEncodeSample(mulawDecodeSample(c))).toBe(c === 0x7f ? 0xff : c);
    }
  });

  it('is monotonic and within half a quantisation step', () => {
    let prev = -Infinity;
    for (let x = -32768; x < 32768; x++) {
      const y = mulawDecodeSample(mulawEncodeSample(x));
      expect(y >= prev).toBe(true);
      prev = y;
      if (Math.abs(x) <= 32124 && Math.abs(y - x) > Math.abs(x) / 16 + 8) {
        expect.fail(`sample ${x} → ${y}`);
      }
    }
  });

  it('keeps ≈ 37 dB SNR on a sine over a wide amplitude range', () => {
    // Companding keeps the SNR nearly flat: ~38 dB from full scale down to about -25 dBFS.
    expect(sineSnrDb(30000, 'mulaw')).toBeGreaterThanOrEqual(37);
    expect(sineSnrDb(8000, 'mulaw')).toBeGreaterThanOrEqual(37);
    expect(sineSnrDb(2000, 'mulaw')).toBeGreaterThanOrEqual(35);
  });
});

describe('A-law', () => {
  it('decodes known code points', () => {
    expect(alawDecodeSample(0xd5)).toBe(8);
    expect(alawDecodeSample(0x55)).toBe(-8);
    expect(alawDecodeSample(0xaa)).toBe(32256);
    expect(alawDecodeSample(0x2a)).toBe(-32256);
    expect(alawDecodeSample(0xd4)).toBe(24);
    expect(alawDecodeSample(0xc5)).toBe(264);
  });

  it('encodes known values', () => {
    expect([...alawEncode(pcmOf([0, -1, 8, 32767, -32768, 32256, -32256]))]).toEqual([
      0xd5, 0x55, 0xd5, 0xaa, 0x2a, 0xaa, 0x2a,
    ]);
  });

  it('matches the G.711 table for all 256 codes', () => {
    for (let c = 0; c < 256; c++) {
      expect(alawDecodeSample(c)).toBe(alawFromStandard(c));
    }
  });

  it('tables agree with the reference algorithm for every 16-bit sample', () => {
    for (let x = -32768; x < 32768; x++) {
      if (alawEncodeSample(x) !== g711Reference.linearToAlaw(x)) {
        expect.fail(`sample ${x}`);
      }
    }
  });

  it('decode → encode returns the same code for all 256 codes', () => {
    for (let c = 0; c < 256; c++) {
      expect(alawEncodeSample(alawDecodeSample(c))).toBe(c);
    }
  });

  it('is monotonic and within half a quantisation step', () => {
    let prev = -Infinity;
    for (let x = -32768; x < 32768; x++) {
      const y = alawDecodeSample(alawEncodeSample(x));
      expect(y >= prev).toBe(true);
      prev = y;
      if (Math.abs(x) <= 32256 && Math.abs(y - x) > Math.abs(x) / 16 + 8) {
        expect.fail(`sample ${x} → ${y}`);
      }
    }
  });

  it('keeps ≈ 37 dB SNR on a sine over a wide amplitude range', () => {
    // Companding keeps the SNR nearly flat: ~38 dB from full scale down to about -25 dBFS.
    expect(sineSnrDb(30000, 'alaw')).toBeGreaterThanOrEqual(37);
    expect(sineSnrDb(8000, 'alaw')).toBeGreaterThanOrEqual(37);
    expect(sineSnrDb(2000, 'alaw')).toBeGreaterThanOrEqual(35);
  });
});

describe('buffers', () => {
  it('round-trips every code through the buffer API', () => {
    const codes = Buffer.alloc(256);
    codes.forEach((_, i) => (codes[i] = i));
    const mu = mulawDecode(codes);
    const a = alawDecode(codes);
    expect(samplesOf(mu)).toEqual([...codes].map(mulawDecodeSample));
    expect(samplesOf(a)).toEqual([...codes].map(alawDecodeSample));
    expect([...alawEncode(a)]).toEqual([...codes]);
    expect([...mulawEncode(mu)]).toEqual([...codes].map((c) => (c === 0x7f ? 0xff : c)));
  });

  it('reads and writes at odd byte offsets', () => {
    const backing = Buffer.alloc(1 + 6 + 1);
    const pcm = backing.subarray(1, 7);
    [1000, -2000, 30000].forEach((s, i) => pcm.writeInt16LE(s, i * 2));
    const outBacking = Buffer.alloc(9);
    const out = outBacking.subarray(1, 7);
    const decoded = mulawDecode(mulawEncode(pcm), out);
    expect(decoded.buffer).toBe(outBacking.buffer);
    expect(samplesOf(decoded)).toEqual(
      [1000, -2000, 30000].map((s) => mulawDecodeSample(mulawEncodeSample(s))),
    );
  });

  it('writes into a caller buffer and returns the written prefix', () => {
    const pcm = pcmOf([0, 100, -100]);
    const out = Buffer.alloc(10, 0xee);
    const enc = alawEncode(pcm, out);
    expect(enc.length).toBe(3);
    expect(enc.buffer).toBe(out.buffer);
    expect(out[3]).toBe(0xee);
    expect(() => alawEncode(pcm, Buffer.alloc(2))).toThrow(RangeError);
    expect(() => mulawDecode(enc, Buffer.alloc(5))).toThrow(RangeError);
    expect(() => mulawEncode(Buffer.alloc(3))).toThrow(RangeError);
  });
});
