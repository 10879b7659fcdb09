import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../frames/frames.js';
import { seqDiff32 } from '../../core/seq.js';
import { JitterAdapter } from './jitter-adapter.js';
import { mulberry32 } from './traces.js';

const T0 = 1_700_000_000_000;
const BYTES = 640; // 20 ms at 16 kHz

function frame(seq: number, i: number, level = 1000): AudioFrame {
  const payload = Buffer.alloc(BYTES);
  for (let k = 0; k < BYTES / 2; k++) {
    payload.writeInt16LE(level, k * 2);
  }
  return { seq, captureTsMs: T0 + i * 20, arrivalTsMs: NaN, payload, concealed: false };
}

describe('JitterAdapter', () => {
  it('outputs strictly in seq order under reordering, duplicates and 2 % loss', () => {
    const rand = mulberry32(42);
    const n = 2000;
    const seq0 = 2 ** 32 - 500; // crosses the u32 wrap
    // Send i at T0 + 20 i, transit 30 ms + up to 15 ms jitter; 3 % displaced behind the next
    // one or two frames, 2 % lost, 3 % duplicated.
    const events: { at: number; i: number }[] = [];
    const lost = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (rand() < 0.02) {
        lost.add(i);
        continue;
      }
      const displaced = rand() < 0.03 ? 20 + rand() * 25 : 0;
      const at = T0 + i * 20 + 30 + rand() * 15 + displaced;
      events.push({ at, i });
      if (rand() < 0.03) {
        events.push({ at: at + rand() * 40, i });
      }
    }
    events.sort((a, b) => a.at - b.at);
    let now = T0;
    const out: AudioFrame[] = [];
    const late = new Set<number>();
    const adapter = new JitterAdapter({ clock: () => now, sink: (f) => out.push(f) });
    let next = 0;
    for (let t = T0; out.length < n; t += 20) {
      for (let e = events[next]; e !== undefined && e.at <= t; e = events[++next]) {
        now = e.at;
        if (adapter.push(frame((seq0 + e.i) >>> 0, e.i)) === 'late') {
          late.add(e.i);
        }
      }
      now = t;
      adapter.tick(t);
    }
    const seqs = out.slice(0, n).map((f) => f.seq);
    seqs.forEach((s, k) => expect(s).toBe((seq0 + k) >>> 0));
    const concealed = out.slice(0, n).filter((f) => f.concealed);
    const stats = adapter.stats();
    expect(stats.reordered).toBeGreaterThan(20);
    expect(stats.duplicates).toBe(events.length - (n - lost.size));
    // Every gap is concealed: lost frames, and the few that came after their slot.
    const gaps = [...lost, ...late].sort((a, b) => a - b);
    expect(concealed.map((f) => seqDiff32(seq0, f.seq))).toEqual(gaps);
    expect(stats).toMatchObject({ concealed: gaps.length, lost: lost.size, late: late.size });
    expect(late.size).toBeLessThanOrEqual(n * 0.01);
    // Concealed frames look like frames: right size, timestamps continue the media clock.
    for (const f of concealed) {
      expect(f.payload.length).toBe(BYTES);
      expect(f.captureTsMs).toBe(T0 + seqDiff32(seq0, f.seq) * 20);
    }
    // Real frames are passed through untouched (no copy).
    expect(out.find((f) => !f.concealed)?.payload.readInt16LE(0)).toBe(1000);
  });

  it('fades the last frame over concealed slots, then goes silent', () => {
    let now = T0;
    const out: AudioFrame[] = [];
    const adapter = new JitterAdapter({
      clock: () => now,
      sink: (f) => out.push(f),
      buffer: { maxConcealRun: 6 },
    });
    adapter.push(frame(1, 0, 8000));
    for (let t = T0; t <= T0 + 400; t += 20) {
      now = t;
      adapter.tick(t);
    }
    const levels = out.map((f) => f.payload.readInt16LE(0));
    expect(out.map((f) => f.concealed)).toEqual([false, true, true, true, true, true, true]);
    expect(levels).toEqual([8000, 4000, 2000, 1000, 500, 0, 0]);
    expect(adapter.stats()).toMatchObject({ concealed: 6, stalls: 1 });
  });

  it('conceals with silence when asked', () => {
    let now = T0;
    const out: AudioFrame[] = [];
    const adapter = new JitterAdapter({
      clock: () => now,
      sink: (f) => out.push(f),
      concealment: 'silence',
    });
    adapter.push(frame(1, 0, 8000));
    adapter.push(frame(3, 2, 8000));
    for (let t = T0; t <= T0 + 200; t += 20) {
      now = t;
      adapter.tick(t);
    }
    expect(out.slice(0, 3).map((f) => [f.seq, f.concealed, f.payload.readInt16LE(0)])).toEqual([
      [1, false, 8000],
      [2, true, 0],
      [3, false, 8000],
    ]);
  });

  it("passes frames straight through in arrival order in 'off' mode", () => {
    const out: AudioFrame[] = [];
    const adapter = new JitterAdapter({ clock: () => T0, sink: (f) => out.push(f), mode: 'off' });
    for (const seq of [1, 3, 2, 2]) {
      adapter.push(frame(seq, seq));
    }
    expect(out.map((f) => f.seq)).toEqual([1, 3, 2, 2]);
    expect(adapter.tick(T0 + 1000)).toBe(0);
    expect(adapter.stats()).toMatchObject({ received: 4, released: 4 });
  });

  it("holds frames for the fixed delay in 'fixed' mode", () => {
    let now = T0 + 30;
    const out: AudioFrame[] = [];
    const adapter = new JitterAdapter({
      clock: () => now,
      sink: (f) => out.push(f),
      mode: 'fixed',
      fixedDelayMs: 80,
    });
    adapter.push(frame(7, 0));
    now = T0 + 60;
    expect(adapter.tick(now)).toBe(0);
    // Handed over by arrival + 80 ms at the latest (60 ms playout point + one pull period).
    expect(adapter.tick(T0 + 90)).toBe(1);
    expect(out[0]?.seq).toBe(7);
    expect(adapter.stats().targetDelayMs).toBe(80);
  });
});
