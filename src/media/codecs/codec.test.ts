import { describe, expect, it } from 'vitest';
import { bytesPerSample, decodeFrom, encodeTo, isAudioCodecName } from './codec.js';
import { alawEncode, mulawEncode } from './g711.js';

const pcm = Buffer.from([0x10, 0x27, 0xf0, 0xd8, 0x00, 0x00]); // 10000, -10000, 0

describe('codec helpers', () => {
  it('knows bytes per sample', () => {
    expect(bytesPerSample('pcm16')).toBe(2);
    expect(bytesPerSample('mulaw')).toBe(1);
    expect(bytesPerSample('alaw')).toBe(1);
    expect(isAudioCodecName('mulaw')).toBe(true);
    expect(isAudioCodecName('opus')).toBe(false);
  });

  it('passes pcm16 through without copying, or copies into a given buffer', () => {
    expect(encodeTo('pcm16', pcm)).toBe(pcm);
    expect(decodeFrom('pcm16', pcm)).toBe(pcm);
    const out = Buffer.alloc(8);
    const copy = encodeTo('pcm16', pcm, out);
    expect(copy.equals(pcm)).toBe(true);
    expect(copy.buffer).toBe(out.buffer);
    expect(() => decodeFrom('pcm16', Buffer.alloc(3))).toThrow(RangeError);
  });

  it('dispatches to G.711', () => {
    expect(encodeTo('mulaw', pcm).equals(mulawEncode(pcm))).toBe(true);
    expect(encodeTo('alaw', pcm).equals(alawEncode(pcm))).toBe(true);
    for (const name of ['mulaw', 'alaw'] as const) {
      const back = decodeFrom(name, encodeTo(name, pcm));
      expect(back.length).toBe(pcm.length);
      expect(Math.abs(back.readInt16LE(0) - 10000)).toBeLessThan(10000 / 16 + 8);
      expect(back.readInt16LE(4)).toBe(name === 'mulaw' ? 0 : 8);
    }
  });
});
