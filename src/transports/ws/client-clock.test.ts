import { describe, expect, it } from 'vitest';
import { ClientClock } from './client-clock.js';

describe('ClientClock', () => {
  it('maps by the fastest frame and unwraps u32 timestamps', () => {
    const c = new ClientClock(0);
    expect(c.map(0xffff_ffec, 10_050)).toBe(10_050); // offset 10050 - ts
    // Wrapped past 2^32 and arrived 10 ms faster than the first: it defines the offset now.
    expect(c.map(0, 10_060)).toBe(10_060);
    // Later frames keep the sender's 20 ms spacing whatever their transit.
    const a = c.map(20, 10_200);
    const b = c.map(40, 10_100 + 40);
    expect(b - a).toBe(20);
  });

  it('takes the frame duration off: a frame is sent only after its last sample', () => {
    const c = new ClientClock(20);
    expect(c.map(1000, 5020)).toBe(5000);
  });

  it('maps a reordered older frame without moving the reference', () => {
    const c = new ClientClock();
    const t0 = c.map(1000, 5000);
    const t2 = c.map(1040, 5040);
    const t1 = c.map(1020, 5060);
    expect([t1 - t0, t2 - t0]).toEqual([20, 40]);
    expect(c.map(1060, 5060)).toBe(t0 + 60);
  });
});
