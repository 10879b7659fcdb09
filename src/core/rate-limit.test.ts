import { describe, expect, it } from 'vitest';
import { MessageRateLimiter } from './rate-limit.js';

/** Feeds `count` messages `gapMs` apart from `startMs`; returns the verdict counts. */
function feed(l: MessageRateLimiter, startMs: number, count: number, gapMs: number) {
  const seen = { ok: 0, drop: 0, close: 0, firstCloseAt: -1 };
  for (let i = 0; i < count; i++) {
    const v = l.take(startMs + i * gapMs);
    seen[v]++;
    if (v === 'close' && seen.firstCloseAt < 0) {
      seen.firstCloseAt = i;
    }
  }
  return seen;
}

describe('MessageRateLimiter', () => {
  it('lets a burst of two seconds worth through, then drops', () => {
    const l = new MessageRateLimiter(10, 0);
    expect(feed(l, 0, 25, 0)).toMatchObject({ ok: 20, drop: 5, close: 0 });
  });

  it('forgives a short excess once the client slowed down', () => {
    const l = new MessageRateLimiter(10, 0);
    expect(feed(l, 0, 28, 0)).toMatchObject({ ok: 20, drop: 8, close: 0 });
    // Two quiet seconds refill the bucket: the excess count starts over.
    expect(l.take(2_000)).toBe('ok');
    expect(l.excess).toBe(0);
    expect(feed(l, 2_000, 28, 0)).toMatchObject({ close: 0 });
  });

  it('closes a sustained flood after one second worth of excess, even with tokens trickling back', () => {
    const l = new MessageRateLimiter(10, 0);
    // Four times the rate: a token comes back every fourth message, never enough to forgive.
    const seen = feed(l, 0, 200, 25);
    expect(seen.close).toBeGreaterThan(0);
    expect(seen.drop).toBe(10);
  });

  it('never closes a client at the rate', () => {
    const l = new MessageRateLimiter(10, 0);
    expect(feed(l, 0, 1_000, 100)).toMatchObject({ ok: 1_000, drop: 0, close: 0 });
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new MessageRateLimiter(0, 0)).toThrow(RangeError);
  });
});
