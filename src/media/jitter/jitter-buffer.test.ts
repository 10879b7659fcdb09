import { describe, expect, it } from 'vitest';
import { seqDiff32 } from '../../core/seq.js';
import { FixedBuffer } from './fixed-buffer.js';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.js';

const T0 = 1_000_000;

interface Out {
  seq: number;
  concealed: boolean;
  at: number;
  addedMs: number;
}

/**
 * Drive a buffer: `arrivals[i]` is the arrival time of frame i (sent at T0 + 20 i, seq
 * seq0 + i, media ts ts0 + 20 i), NaN for a lost frame. Pulls every 20 ms until `untilMs`.
 */
function drive(
  buffer: JitterBuffer<number>,
  arrivals: readonly number[],
  untilMs: number,
  seq0 = 1000,
  ts0 = 5000,
  onTick?: (t: number) => void,
): Out[] {
  const order = arrivals
    .map((at, i) => ({ at, i }))
    .filter((e) => !Number.isNaN(e.at))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  const out: Out[] = [];
  let next = 0;
  let done = false;
  for (let t = T0; t <= untilMs && !done; t += 20) {
    for (let e = order[next]; e !== undefined && e.at <= t; e = order[++next]) {
      buffer.push(e.i, (seq0 + e.i) >>> 0, (ts0 + e.i * 20) % 2 ** 32, e.at);
    }
    // Stop at the last frame's slot: later slots would be the buffer running dry.
    for (let p = done ? undefined : buffer.pull(t); p !== undefined; p = buffer.pull(t)) {
      out.push({ seq: p.seq, concealed: p.concealed, at: t, addedMs: t - p.arrivalMs });
      if (seqDiff32(seq0 >>> 0, p.seq) === arrivals.length - 1) {
        done = true;
        break;
      }
    }
    onTick?.(t);
  }
  return out;
}

function clean(n: number, transitMs = 30): number[] {
  return Array.from({ length: n }, (_, i) => T0 + i * 20 + transitMs);
}

function expectConsecutive(out: readonly Out[], seq0: number): void {
  out.forEach((o, i) => expect(o.seq).toBe((seq0 + i) >>> 0));
}

describe('JitterBuffer', () => {
  it('puts frames reordered within the target delay back in order', () => {
    const arrivals = clean(20);
    arrivals[5] = arrivals[6]! + 1; // 5 arrives after 6
    arrivals[10] = arrivals[12]! + 1; // 10 arrives after 11 and 12
    const buffer = new JitterBuffer<number>({ startDelayMs: 60 });
    const out = drive(buffer, arrivals, T0 + 1000);
    expect(out).toHaveLength(20);
    expectConsecutive(out, 1000);
    expect(out.every((o) => !o.concealed)).toBe(true);
    expect(buffer.stats()).toMatchObject({ reordered: 2, late: 0, lost: 0, concealed: 0 });
  });

  it('handles seq wraparound near 2^32 and u32 media timestamp wraparound', () => {
    const seq0 = 2 ** 32 - 7;
    const ts0 = 2 ** 32 - 70; // wraps after 4 frames, seq after 7
    const buffer = new JitterBuffer<number>();
    const out = drive(buffer, clean(30), T0 + 1000, seq0, ts0);
    expect(out).toHaveLength(30);
    expectConsecutive(out, seq0);
    expect(out[7]!.seq).toBe(0);
    // Timing is unaffected: every frame waits the same time.
    expect(new Set(out.map((o) => o.addedMs)).size).toBe(1);
    expect(buffer.stats()).toMatchObject({ late: 0, lost: 0, overflow: 0, reordered: 0 });
  });

  it('accepts epoch-ms media timestamps (only differences matter)', () => {
    const buffer = new JitterBuffer<number>();
    const out = drive(buffer, clean(30), T0 + 1000, 1, 1_700_000_000_000);
    expect(out).toHaveLength(30);
    expect(buffer.stats()).toMatchObject({ late: 0, lost: 0, resyncs: 0 });
  });

  it('drops and counts duplicates, before and after playout', () => {
    const buffer = new JitterBuffer<number>();
    expect(buffer.push(0, 1, 0, T0)).toBe('accepted');
    expect(buffer.push(0, 1, 0, T0 + 1)).toBe('duplicate');
    expect(buffer.pull(T0 + 100)?.seq).toBe(1);
    expect(buffer.push(0, 1, 0, T0 + 101)).toBe('duplicate');
    expect(buffer.stats()).toMatchObject({ received: 3, accepted: 1, duplicates: 2 });
  });

  it('conceals a frame missing at its playout point and drops it as late when it comes', () => {
    const arrivals = clean(20);
    arrivals[4] = arrivals[4]! + 200; // far past its playout point
    const buffer = new FixedBuffer<number>(40);
    const out = drive(buffer, arrivals, T0 + 1000);
    expect(out).toHaveLength(20);
    expectConsecutive(out, 1000);
    expect(out.filter((o) => o.concealed).map((o) => o.seq)).toEqual([1004]);
    // It arrived in the end: late, not lost.
    expect(buffer.stats()).toMatchObject({ concealed: 1, late: 1, lost: 0 });
  });

  it('conceals, flags and counts a lost frame', () => {
    const arrivals = clean(10);
    arrivals[3] = NaN;
    arrivals[7] = NaN;
    const buffer = new JitterBuffer<number>();
    const out = drive(buffer, arrivals, T0 + 1000);
    expectConsecutive(out, 1000);
    expect(out.filter((o) => o.concealed).map((o) => o.seq)).toEqual([1003, 1007]);
    expect(buffer.stats()).toMatchObject({ concealed: 2, lost: 2, late: 0 });
  });

  it('waits up to the late grace for a missing frame before concealing it', () => {
    const arrivals = clean(10);
    arrivals[4] = arrivals[4]! + 30; // 30 ms past the fastest transit
    const strict = new FixedBuffer<number>(20, { lateGraceMs: 0 });
    const graceful = new FixedBuffer<number>(20, { lateGraceMs: 20 });
    const a = drive(strict, arrivals, T0 + 1000);
    const b = drive(graceful, arrivals, T0 + 1000);
    expect(a.filter((o) => o.concealed)).toHaveLength(1);
    expect(b.filter((o) => o.concealed)).toHaveLength(0);
    expect(graceful.stats().late).toBe(0);
  });

  it('adapts the target up under jitter and back down slowly when clean again', () => {
    // 10 s clean, 20 s jittery (uniform 0..60 ms), then clean.
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const arrivals = Array.from({ length: 4500 }, (_, i) => {
      const jitter = i >= 500 && i < 1500 ? rand() * 60 : rand() * 0.5;
      return T0 + i * 20 + 30 + jitter;
    });
    const buffer = new JitterBuffer<number>();
    const target = new Map<number, number>();
    drive(buffer, arrivals, T0 + 4500 * 20, 0, 0, (t) => {
      if ((t - T0) % 1000 === 0) {
        target.set((t - T0) / 1000, buffer.currentDelayMs);
      }
    });
    expect(target.get(10)).toBeLessThanOrEqual(22);
    expect(target.get(11)).toBeGreaterThan(40); // up within 1 s
    expect(target.get(29)).toBeGreaterThan(55); // covers ≈ q0.99 of 0..60
    expect(target.get(32)).toBeGreaterThan(40); // down only slowly
    expect(target.get(89)).toBeLessThanOrEqual(22); // back at the floor
    const delays = [...target.values()];
    expect(Math.max(...delays)).toBeLessThanOrEqual(200);
  });

  it('keeps the delay near one frame on a clean stream', () => {
    const buffer = new JitterBuffer<number>();
    const out = drive(buffer, clean(500), T0 + 11_000);
    const tail = out.slice(100);
    expect(tail.every((o) => !o.concealed)).toBe(true);
    expect(buffer.targetDelayMs).toBeLessThanOrEqual(21);
    expect(Math.max(...tail.map((o) => o.addedMs))).toBeLessThanOrEqual(20);
    expect(buffer.stats()).toMatchObject({ concealed: 0, lost: 0 });
  });

  it('computes the RFC 3550 interarrival jitter', () => {
    const buffer = new JitterBuffer<number>();
    const transits = [30, 40, 30, 35, 35, 50];
    transits.forEach((tr, i) => buffer.push(i, i, i * 20, T0 + i * 20 + tr));
    let j = 0;
    for (let i = 1; i < transits.length; i++) {
      j += (Math.abs(transits[i]! - transits[i - 1]!) - j) / 16;
    }
    expect(buffer.stats().jitterMs).toBeCloseTo(j, 10);
    expect(j).toBeCloseTo(2.21, 2);
  });

  it('is bounded: frames too far ahead of playout are dropped as overflow', () => {
    const buffer = new JitterBuffer<number>({ capacity: 50 });
    const results = Array.from({ length: 80 }, (_, i) => buffer.push(i, i, i * 20, T0 + i));
    expect(results.filter((r) => r === 'accepted')).toHaveLength(50);
    expect(results.slice(50).every((r) => r === 'overflow')).toBe(true);
    expect(buffer.stats()).toMatchObject({ buffered: 50, overflow: 30 });
  });

  it('ignores a bogus far-ahead seq without disturbing the stream', () => {
    const buffer = new JitterBuffer<number>();
    const arrivals = clean(100);
    let bogusSent = false;
    const out = drive(buffer, arrivals, T0 + 3000, 1000, 5000, (t) => {
      if (!bogusSent && t >= T0 + 1000) {
        bogusSent = true;
        expect(buffer.push(-1, 1000 + 1_000_000, 5000 + 1_000_000 * 20, t)).toBe('overflow');
        expect(buffer.push(-1, 1000 - 1_000_000, 5000 - 1_000_000 * 20, t)).toBe('late');
      }
    });
    expect(out).toHaveLength(100);
    expectConsecutive(out, 1000);
    expect(buffer.stats()).toMatchObject({ overflow: 1, late: 1, concealed: 0, resyncs: 0 });
    expect(buffer.targetDelayMs).toBeLessThanOrEqual(21);
  });

  it('tracks sender clock drift (±50 ppm) without growing the delay', () => {
    for (const ppm of [50, -50]) {
      const arrivals = Array.from(
        { length: 6000 },
        (_, i) => T0 + i * 20 + 30 + i * 20 * ppm * 1e-6 + (i % 7) * 0.1,
      );
      const buffer = new JitterBuffer<number>();
      const out = drive(buffer, arrivals, T0 + 121_000);
      expect(out).toHaveLength(6000);
      expect(buffer.stats()).toMatchObject({ late: 0, concealed: 0 });
      expect(buffer.currentDelayMs).toBeLessThanOrEqual(21);
    }
  });

  it('stops concealing after a long gap and resyncs on the next arrival', () => {
    // Sender pauses 2 s (no seq gap in media time, seq jumps by 3), then resumes.
    const buffer = new JitterBuffer<number>({ maxConcealRun: 10 });
    const out: Out[] = [];
    const collect = (t: number): void => {
      for (let p = buffer.pull(t); p !== undefined; p = buffer.pull(t)) {
        out.push({ seq: p.seq, concealed: p.concealed, at: t, addedMs: 0 });
      }
    };
    let t = T0;
    for (let i = 0; i < 50; i++, t += 20) {
      buffer.push(i, i, i * 20, T0 + i * 20 + 30);
      collect(t);
    }
    for (let k = 0; k < 100; k++, t += 20) {
      collect(t);
    }
    const beforeResume = out.length;
    expect(out.filter((o) => o.concealed)).toHaveLength(10);
    expect(buffer.stats()).toMatchObject({ stalls: 1, concealed: 10 });
    // Resume: media time jumped with the pause, seq continues after the 10 concealed + 3.
    const resumeIdx = 50 + 10 + 3 + Math.round((t - T0 - 50 * 20) / 20);
    for (let i = 0; i < 20; i++, t += 20) {
      buffer.push(i, 63 + i, (resumeIdx + i) * 20, t + 30);
      collect(t);
    }
    for (let k = 0; k < 20; k++, t += 20) {
      collect(t);
    }
    const resumed = out.slice(beforeResume);
    const real = resumed.filter((o) => !o.concealed).map((o) => o.seq);
    expect(real).toEqual(Array.from({ length: 20 }, (_, i) => 63 + i));
    expect(resumed.slice(0, 20).every((o) => !o.concealed)).toBe(true);
    expect(buffer.stats()).toMatchObject({ resyncs: 1, skipped: 3, late: 0 });
  });

  it('jumps to the next buffered frame after a long concealment run', () => {
    const arrivals = clean(40);
    for (let i = 10; i < 25; i++) {
      arrivals[i] = NaN;
    }
    const buffer = new JitterBuffer<number>({ maxConcealRun: 5, startDelayMs: 200 });
    const out = drive(buffer, arrivals, T0 + 2000);
    expect(out.filter((o) => o.concealed)).toHaveLength(5);
    expect(out.filter((o) => !o.concealed)).toHaveLength(25);
    expect(out.map((o) => seqDiff32(out[0]!.seq, o.seq))).toEqual(
      [...out.keys()].map((i) => (i < 15 ? i : i + 10)),
    );
    expect(buffer.stats()).toMatchObject({ lost: 15, stalls: 0 });
  });

  it('lets an earlier seq arriving before anything played become the first frame', () => {
    const buffer = new JitterBuffer<number>();
    expect(buffer.push(1, 11, 220, T0 + 30)).toBe('accepted');
    expect(buffer.push(0, 10, 200, T0 + 31)).toBe('accepted');
    const seqs = [buffer.pull(T0 + 200)?.seq, buffer.pull(T0 + 200)?.seq];
    expect(seqs).toEqual([10, 11]);
    expect(buffer.stats().reordered).toBe(1);
  });

  it('re-initialises on reset and on a sender clock jump', () => {
    const options: JitterBufferOptions = { startDelayMs: 20 };
    const buffer = new JitterBuffer<number>(options);
    drive(buffer, clean(20), T0 + 600);
    buffer.reset();
    expect(buffer.push(0, 777_777, 123, T0 + 5000)).toBe('accepted');
    expect(buffer.pull(T0 + 5000)?.seq).toBe(777_777);
    // Media time jumps 10 s ahead of real time: re-initialise instead of waiting 10 s.
    expect(buffer.push(0, 777_778, 10_143, T0 + 5020)).toBe('accepted');
    expect(buffer.pull(T0 + 5020)?.seq).toBe(777_778);
    expect(buffer.stats()).toMatchObject({ resyncs: 1, late: 0, overflow: 0 });
  });

  it('validates its options', () => {
    expect(() => new JitterBuffer({ capacity: 1 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ quantile: 1 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ minDelayMs: 50, maxDelayMs: 40 })).toThrow(RangeError);
  });
});
