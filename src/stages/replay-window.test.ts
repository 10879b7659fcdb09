import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../frames/frames.js';
import { ReplayWindow } from './replay-window.js';

const frame = (seq: number): AudioFrame => ({
  seq,
  captureTsMs: seq * 20,
  arrivalTsMs: 0,
  payload: Buffer.alloc(0),
  concealed: false,
});
const seqs = (w: ReplayWindow): number[] => {
  const out: number[] = [];
  w.forEach((f) => out.push(f.seq));
  return out;
};

describe('ReplayWindow', () => {
  it('lets written frames go when full, and reports a frame pushed out unwritten as lost', () => {
    const w = new ReplayWindow(3);
    for (let i = 0; i < 3; i++) {
      expect(w.keep(frame(i))).toBe(false);
    }
    w.markSent();
    expect(w.keep(frame(3))).toBe(false); // frame 0 had been written
    expect(w.keep(frame(4))).toBe(false); // frame 1 too
    expect(w.keep(frame(5))).toBe(false); // frame 2 too
    expect(w.keep(frame(6))).toBe(true); // frame 3 never was
    expect(seqs(w)).toEqual([4, 5, 6]);
  });

  it('acknowledges up to a final end time, and drops what came before a point', () => {
    const w = new ReplayWindow(10);
    for (let i = 0; i < 6; i++) {
      w.keep(frame(i));
    }
    w.markSent();
    w.keep(frame(6)); // not written yet
    w.acknowledge(frame(2).captureTsMs);
    expect(seqs(w)).toEqual([2, 3, 4, 5, 6]);
    // Three kept: frames 4 and 5 had been written, 6 not.
    expect(w.dropBefore(frame(4).captureTsMs)).toBe(2);
    expect(seqs(w)).toEqual([4, 5, 6]);
    expect(w.dropBefore(Infinity)).toBe(0);
    expect(w.size).toBe(0);
  });
});
