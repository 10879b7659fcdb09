import { describe, expect, it } from 'vitest';
import { ReorderBuffer, type ReorderBufferOptions } from './reorder-buffer.js';

function make(options: Partial<ReorderBufferOptions> = {}): {
  buf: ReorderBuffer<number>;
  out: number[];
} {
  const out: number[] = [];
  const buf = new ReorderBuffer<number>({ capacity: 64, ...options }, (item, seq) => {
    expect(item).toBe(seq);
    out.push(seq);
  });
  return { buf, out };
}

/** Push seqs at the given times (ms), ticking before each push, as the relay does. */
function feed(buf: ReorderBuffer<number>, arrivals: readonly [number, number][]): void {
  for (const [seq, t] of arrivals) {
    buf.tick(t);
    buf.push(seq >>> 0, seq >>> 0, t);
  }
}

describe('ReorderBuffer', () => {
  it('releases an in-order stream at once after the start hold', () => {
    const { buf, out } = make({ startWaitMs: 0 });
    for (let i = 0; i < 10; i++) {
      expect(buf.push(i, i, i * 20)).toBe('accepted');
      expect(out).toEqual(Array.from({ length: i + 1 }, (_, k) => k));
    }
    expect(buf.counters()).toMatchObject({ released: 10, buffered: 0, lost: 0, late: 0 });
  });

  it('holds the first frame for frames numbered before it, then releases in order', () => {
    const { buf, out } = make({ startWaitMs: 100 });
    feed(buf, [
      [12, 0],
      [10, 5],
      [11, 10],
      [13, 20],
    ]);
    expect(out).toEqual([]);
    buf.tick(99);
    expect(out).toEqual([]);
    buf.tick(100);
    expect(out).toEqual([10, 11, 12, 13]);
    buf.push(14, 14, 120);
    expect(out).toEqual([10, 11, 12, 13, 14]);
    expect(buf.counters().reordered).toBe(2);
  });

  it('waits for a gap and releases the run behind it the moment it fills', () => {
    const { buf, out } = make({ startWaitMs: 0 });
    feed(buf, [
      [0, 0],
      [2, 40],
      [3, 60],
    ]);
    expect(out).toEqual([0]);
    buf.push(1, 1, 70);
    expect(out).toEqual([0, 1, 2, 3]);
    expect(buf.counters()).toMatchObject({ gapsFilled: 1, maxDepth: 2, lost: 0 });
  });

  it('gives up on a gap after the wait; the frame arriving later is late, never out of order', () => {
    const { buf, out } = make({ startWaitMs: 0, minWaitMs: 60, maxWaitMs: 60 });
    feed(buf, [
      [0, 0],
      [2, 40],
      [3, 60],
    ]);
    buf.tick(99);
    expect(out).toEqual([0]);
    buf.tick(100);
    expect(out).toEqual([0, 2, 3]);
    expect(buf.push(1, 1, 110)).toBe('late');
    expect(buf.counters()).toMatchObject({ lost: 1, late: 1, gapsSkipped: 1 });
  });

  it('learns a deeper reorder from a late frame and waits longer next time', () => {
    const { buf } = make({ startWaitMs: 0, minWaitMs: 40, maxWaitMs: 1000, decay: 1 });
    const before = buf.waitMs;
    feed(buf, [
      [0, 0],
      [2, 20],
    ]);
    buf.tick(20 + before);
    expect(buf.push(1, 1, 300)).toBe('late');
    expect(buf.waitMs).toBeGreaterThan(280 * 1.5);
  });

  it('drops duplicates, held or already released, and counts them as duplicates', () => {
    const { buf, out } = make({ startWaitMs: 0 });
    feed(buf, [
      [0, 0],
      [0, 1],
      [2, 20],
      [2, 21],
      [1, 30],
      [1, 31],
    ]);
    expect(out).toEqual([0, 1, 2]);
    expect(buf.counters()).toMatchObject({ duplicates: 3, late: 0 });
  });

  it('forwards a backlog after a stall at once (no pacing)', () => {
    const { buf, out } = make({ startWaitMs: 0 });
    for (let i = 0; i < 50; i++) {
      buf.push(i, i, 0);
    }
    buf.tick(0);
    for (let i = 50; i < 300; i++) {
      buf.push(i, i, 2000); // 5 s of audio in one instant
    }
    expect(out.length).toBe(300);
    expect(buf.counters().buffered).toBe(0);
  });

  it('follows seqs across the u32 wrap', () => {
    const { buf, out } = make({ startWaitMs: 0 });
    const seqs = [0xfffffffe, 0, 0xffffffff, 1, 2];
    seqs.forEach((s, i) => buf.push(s, s, i));
    expect(out).toEqual([0xfffffffe, 0xffffffff, 0, 1, 2]);
  });

  it('gives up the oldest gap instead of dropping an arrived frame when memory is full', () => {
    const { buf, out } = make({
      capacity: 8,
      startWaitMs: 0,
      maxWaitMs: 10_000,
      minWaitMs: 10_000,
    });
    buf.push(0, 0, 0);
    for (let s = 2; s < 20; s++) {
      expect(buf.push(s, s, s)).toBe('accepted');
    }
    expect(out[0]).toBe(0);
    expect(out.slice(1)).toEqual(Array.from({ length: out.length - 1 }, (_, k) => k + 2));
    expect(buf.counters()).toMatchObject({ overflowSkips: 1, lost: 1 });
    expect(buf.counters().buffered).toBe(0);
  });

  it('continues after a jump of the numbering beyond the buffer', () => {
    const { buf, out } = make({ capacity: 8, startWaitMs: 0 });
    buf.push(0, 0, 0);
    buf.push(100_000, 100_000, 20);
    buf.push(100_001, 100_001, 40);
    expect(out).toEqual([0, 100_000, 100_001]);
    expect(buf.counters().resyncs).toBe(1);
  });

  it('rejects bad options', () => {
    expect(() => new ReorderBuffer({ capacity: 1 }, () => undefined)).toThrow(RangeError);
    expect(
      () => new ReorderBuffer({ capacity: 4, minWaitMs: 10, maxWaitMs: 5 }, () => undefined),
    ).toThrow(RangeError);
  });
});
