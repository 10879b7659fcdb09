import { describe, expect, it } from 'vitest';
import { nowMs } from '../../core/clock.js';
import { Scheduler } from './scheduler.js';

describe('Scheduler', () => {
  it('runs callbacks at absolute times, never early, in time order', async () => {
    const s = new Scheduler();
    const start = nowMs();
    const fired: [string, number][] = [];
    await new Promise<void>((resolve) => {
      s.at(start + 30, () => fired.push(['b', nowMs()]));
      s.at(start + 10, () => fired.push(['a', nowMs()]));
      s.at(start + 50, () => {
        fired.push(['c', nowMs()]);
        resolve();
      });
    });
    expect(fired.map(([k]) => k)).toEqual(['a', 'b', 'c']);
    fired.forEach(([, at], i) => expect(at).toBeGreaterThanOrEqual(start + [10, 30, 50][i]!));
    expect(s.pending).toBe(0);
  });

  it('clear() cancels pending timers and ignores later ones', () => {
    const s = new Scheduler();
    let ran = false;
    s.at(nowMs() + 1_000_000_000_000, () => (ran = true));
    s.at(nowMs() + 5, () => (ran = true));
    expect(s.pending).toBe(2);
    s.clear();
    s.at(nowMs(), () => (ran = true));
    expect(s.pending).toBe(0);
    expect(ran).toBe(false);
  });
});
