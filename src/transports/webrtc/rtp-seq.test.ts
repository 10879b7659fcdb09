import { describe, expect, it } from 'vitest';
import { RtpReceiveState, RtpSendClock, toU32, Unwrapper } from './rtp-seq.js';

describe('Unwrapper', () => {
  it('extends u16 sequence numbers across the wrap, both ways', () => {
    const u = new Unwrapper(16);
    const first = u.unwrap(65_533);
    const ext = [65_534, 65_535, 0, 1, 2].map((s) => u.unwrap(s) - first);
    expect(ext).toEqual([1, 2, 3, 4, 5]);
    // A late packet from before the wrap maps below, not 65 536 ahead.
    expect(u.unwrap(65_535) - first).toBe(2);
    expect(u.highest - first).toBe(5);
    // A reordered packet from just before the very first one stays non-negative.
    const v = new Unwrapper(16);
    const a = v.unwrap(0);
    expect(v.unwrap(65_535)).toBe(a - 1);
    expect(a - 1).toBeGreaterThanOrEqual(0);
  });

  it('extends u32 timestamps across 2^32 over many cycles', () => {
    const u = new Unwrapper(32);
    let raw = 0xffff_f000;
    const first = u.unwrap(raw);
    let expected = 0;
    for (let i = 0; i < 20_000; i++) {
      raw = (raw + 960 * 50_000) % 0x1_0000_0000; // big steps: wraps every ~90 steps
      expected += 960 * 50_000;
      expect(u.unwrap(raw) - first).toBe(expected);
    }
  });

  it('follows a u16 stream through several wraps with jitter', () => {
    const u = new Unwrapper(16);
    const first = u.unwrap(100);
    for (let n = 1; n < 300_000; n += 7) {
      const jitter = n % 3 === 0 ? -3 : 0;
      const s = (100 + n + jitter) & 0xffff;
      expect(u.unwrap(s) - first).toBe(n + jitter);
    }
  });

  it('toU32 wraps negatives and big values', () => {
    expect(toU32(-1)).toBe(0xffff_ffff);
    expect(toU32(0x1_0000_0005)).toBe(5);
    expect(toU32(7)).toBe(7);
  });
});

describe('RtpReceiveState', () => {
  it('maps 20 ms packets to frame indices and media ms from the first timestamp', () => {
    const rx = new RtpReceiveState();
    const ts0 = 0xffff_fc40; // wraps after 2 packets
    const out = [0, 1, 2, 3].map((i) =>
      rx.accept((65_534 + i) & 0xffff, (ts0 + i * 960) % 2 ** 32),
    );
    expect(out.map((a) => a.kind)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(out.map((a) => a.frameSeq)).toEqual([0, 1, 2, 3]);
    expect(out.map((a) => a.mediaMs)).toEqual([0, 20, 40, 60]);
    expect(out[3]!.extSeq - out[0]!.extSeq).toBe(3);
  });

  it('drops duplicates and packets older than the window; counts reorder and loss', () => {
    const rx = new RtpReceiveState(48_000, 20, 16);
    expect(rx.accept(10, 9600).kind).toBe('ok');
    expect(rx.accept(12, 9600 + 2 * 960).kind).toBe('ok');
    expect(rx.accept(11, 9600 + 960).kind).toBe('ok'); // reordered
    expect(rx.accept(12, 9600 + 2 * 960).kind).toBe('duplicate');
    for (let s = 13; s < 40; s++) {
      if (s !== 20) {
        rx.accept(s, 9600 + (s - 10) * 960);
      }
    }
    expect(rx.accept(20, 9600 + 10 * 960).kind).toBe('too_old');
    const st = rx.stats();
    expect(st.duplicates).toBe(1);
    expect(st.reordered).toBe(1);
    expect(st.tooOld).toBe(1);
    expect(st.expected).toBe(30);
    expect(st.lost).toBe(1);
  });

  it('turns a DTX pause (seq continues, timestamp jumps) into a frame-index gap', () => {
    const rx = new RtpReceiveState();
    rx.accept(1, 0);
    const after = rx.accept(2, 960 * 25); // 500 ms later, next seq
    expect(after.kind).toBe('ok');
    expect(after.frameSeq).toBe(25);
    expect(after.mediaMs).toBe(500);
  });

  it('frame index wraps as u32 for a packet before the first one', () => {
    const rx = new RtpReceiveState();
    rx.accept(500, 96_000);
    const early = rx.accept(499, 96_000 - 960);
    expect(early.kind).toBe('ok');
    expect(early.frameSeq).toBe(0xffff_ffff);
    expect(early.mediaMs).toBe(-20);
  });
});

describe('RtpSendClock', () => {
  it('advances 960 ticks and one seq per packet, wrapping both', () => {
    const c = new RtpSendClock(65_535, 0xffff_ffff - 959);
    const a = c.next(1000, false);
    const b = c.next(1020, false);
    const d = c.next(1040, false);
    expect([a.seq, b.seq, d.seq]).toEqual([65_535, 0, 1]);
    expect(a.ts).toBe(0xffff_ffff - 959);
    expect(b.ts).toBe(0);
    expect(d.ts).toBe(960);
  });

  it('a talkspurt start jumps the timestamp to wall time; the seq never skips', () => {
    const c = new RtpSendClock(0, 0);
    c.next(0, false); // slot 0
    c.next(20, false); // slot 1
    const spurt = c.next(200, true); // 200 ms after start: slot 10
    expect(spurt.ts).toBe(10 * 960);
    expect(spurt.seq).toBe(2);
    // Mid-talkspurt frames keep +960 even when they arrive early or late.
    expect(c.next(205, false).ts).toBe(11 * 960);
    expect(c.nextDueMs()).toBe(240);
    // A resync never moves backwards.
    expect(c.next(150, true).ts).toBe(12 * 960);
  });

  it('skipTo moves the next due slot past a stall', () => {
    const c = new RtpSendClock(0, 0);
    c.next(0, false);
    c.skipTo(1_000);
    expect(c.nextDueMs()).toBeGreaterThan(1_000);
    expect(c.next(1_010, false).ts).toBe(51 * 960);
  });
});
