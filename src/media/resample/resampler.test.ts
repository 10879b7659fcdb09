import { describe, expect, it } from 'vitest';
import { synthVoice } from '../pcm.js';
import { RELAY_SAMPLE_RATES } from './bounds.js';
import { Resampler } from './resampler.js';
import { measureBin, pcmToFloat, tonePcm } from './measure.js';

const pairs = RELAY_SAMPLE_RATES.flatMap((from) =>
  RELAY_SAMPLE_RATES.filter((to) => to !== from).map((to) => [from, to] as const),
);

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Voice plus a pseudo-random full-band component, so every filter phase matters. */
function testSignal(ms: number, rate: number): Buffer {
  const pcm = synthVoice(ms, rate, 3, 12000);
  let seed = 12345;
  for (let i = 0; i < pcm.length; i += 2) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = ((seed >>> 16) % 4001) - 2000;
    pcm.writeInt16LE(Math.max(-32768, Math.min(32767, pcm.readInt16LE(i) + noise)), i);
  }
  return pcm;
}

function constant(value: number, samples: number): Buffer {
  const b = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    b.writeInt16LE(value, i * 2);
  }
  return b;
}

describe('Resampler streaming', () => {
  it.each(pairs)('%i → %i: 20 ms frames give sample-identical output to one call', (from, to) => {
    const input = testSignal(1000, from);
    const whole = new Resampler(from, to);
    const expected = Buffer.concat([whole.process(input), whole.flush()]);

    const r = new Resampler(from, to);
    const frameBytes = (from / 50) * 2;
    const parts: Buffer[] = [];
    for (let off = 0; off < input.length; off += frameBytes) {
      const out = r.process(input.subarray(off, off + frameBytes));
      expect(out.length).toBe((to / 50) * 2); // exactly 20 ms out per 20 ms in
      parts.push(out);
    }
    parts.push(r.flush());
    expect(Buffer.concat(parts).equals(expected)).toBe(true);

    const g = gcd(from, to);
    const inSamples = input.length / 2;
    const total = Math.ceil((inSamples * (to / g)) / (from / g)) + whole.delaySamples;
    expect(expected.length / 2).toBe(total);
  });

  it('irregular chunks, odd byte offsets and processInto agree with one call', () => {
    for (const [from, to] of [
      [48000, 22050],
      [8000, 22050],
      [44100, 16000],
    ] as const) {
      const input = testSignal(300, from);
      const ref = new Resampler(from, to, { quality: 'high' });
      const expected = Buffer.concat([ref.process(input), ref.flush()]);
      const r = new Resampler(from, to, { quality: 'high' });
      const sink = Buffer.alloc(expected.length + 1);
      let written = 1;
      const sizes = [1, 7, 0, 160, 2, 333, 999];
      let off = 0;
      for (let i = 0; off < input.length; i++) {
        const n = Math.min((sizes[i % sizes.length] ?? 1) * 2, input.length - off);
        const odd = Buffer.alloc(n + 1);
        input.copy(odd, 1, off, off + n);
        const chunk = odd.subarray(1); // byteOffset is odd
        expect(r.outputSamplesFor(n / 2) * 2).toBeLessThanOrEqual(sink.length - written);
        written += r.processInto(chunk, sink, written);
        off += n;
      }
      const tail = r.flush();
      tail.copy(sink, written);
      expect(sink.subarray(1, written + tail.length).equals(expected)).toBe(true);
    }
  });

  it('reset forgets history; flush resets too', () => {
    const input = testSignal(200, 48000);
    const r = new Resampler(48000, 16000);
    const first = Buffer.concat([r.process(input), r.flush()]);
    const second = Buffer.concat([r.process(input), r.flush()]);
    expect(second.equals(first)).toBe(true);
    r.process(testSignal(50, 48000));
    r.reset();
    expect(r.process(input).equals(first.subarray(0, (input.length / 2 / 3) * 2))).toBe(true);
    expect(new Resampler(48000, 16000).flush().length).toBe(0);
  });
});

describe('Resampler signal properties', () => {
  it.each(pairs)('%i → %i: delay is delaySamples (impulse peak and tone phase)', (from, to) => {
    const r = new Resampler(from, to);
    const g = gcd(from, to);
    const up = to / g;
    const down = from / g;
    const d = r.delaySamples;
    expect(Number.isInteger(d)).toBe(true);
    expect(r.delayMs).toBeCloseTo((d * 1000) / to, 9);

    // An impulse at input index M lands on output L + D; the response is symmetric about it.
    const impulseIn = Buffer.alloc((down + 4 * d + 64) * 2);
    impulseIn.writeInt16LE(30000, down * 2);
    const y = pcmToFloat(Buffer.concat([r.process(impulseIn), r.flush()]));
    const peak = up + d;
    let argmax = 0;
    y.forEach((v, i) => {
      if (v > (y[argmax] ?? 0)) {
        argmax = i;
      }
    });
    expect(argmax).toBe(peak);
    for (let m = 1; m <= d; m++) {
      expect(Math.abs((y[peak + m] ?? 0) - (y[peak - m] ?? 0))).toBeLessThanOrEqual(1);
    }

    // A low tone comes out phase-shifted by exactly D output samples (linear phase).
    const window = 4096;
    const bin = 3;
    const freq = (bin * to) / window;
    const start = 2 * d + 2;
    const inSamples = Math.ceil(((start + window) * from) / to) + 1;
    r.reset();
    const out = pcmToFloat(r.process(tonePcm(freq, from, inSamples, 20000)));
    const { phase } = measureBin(out, start, window, bin);
    const w = (2 * Math.PI * bin) / window;
    // Input phase at output sample `start` is w·start; the output lags by w·D.
    let lag = (w * start - phase) / w;
    lag -= Math.round((lag - d) / (window / bin)) * (window / bin);
    expect(Math.abs(lag - d)).toBeLessThan(0.01);
  });

  it.each(pairs)('%i → %i: silence stays silence; DC passes with unity gain', (from, to) => {
    const r = new Resampler(from, to);
    const zeros = Buffer.alloc((from / 10) * 2);
    const silent = Buffer.concat([r.process(zeros), r.flush()]);
    expect(silent.length).toBeGreaterThan(0);
    expect(silent.every((b) => b === 0)).toBe(true);

    for (const level of [12345, -20000, 32767, -32768, 1]) {
      r.reset();
      const y = pcmToFloat(r.process(constant(level, from / 10)));
      const settled = y.subarray(2 * r.delaySamples + 1);
      expect(settled.length).toBeGreaterThan(100);
      expect(settled.every((v) => v === level)).toBe(true);
    }
  });

  it('same rate is a copy-free passthrough', () => {
    const r = new Resampler(16000, 16000);
    const input = testSignal(20, 16000);
    expect(r.process(input)).toBe(input);
    expect(r.delaySamples).toBe(0);
    expect(r.flush().length).toBe(0);
    const out = Buffer.alloc(input.length + 4);
    expect(r.processInto(input, out, 4)).toBe(input.length);
    expect(out.subarray(4).equals(input)).toBe(true);
  });

  it('validates its arguments', () => {
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
    expect(() => new Resampler(16000, 44100.5)).toThrow(RangeError);
    const r = new Resampler(48000, 16000);
    expect(() => r.process(Buffer.alloc(3))).toThrow(RangeError);
    expect(() => r.processInto(Buffer.alloc(960 * 2), Buffer.alloc(100))).toThrow(RangeError);
    expect(r.process(Buffer.alloc(0)).length).toBe(0);
  });

  it('runs 60 s of 48 kHz → 16 kHz in 20 ms frames (speed sanity)', () => {
    const r = new Resampler(48000, 16000);
    const frame = testSignal(20, 48000);
    const out = Buffer.alloc(640);
    let total = 0;
    for (let i = 0; i < 3000; i++) {
      total += r.processInto(frame, out);
    }
    expect(total).toBe(60 * 16000 * 2);
  });
});
