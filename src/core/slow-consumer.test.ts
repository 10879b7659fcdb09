import { describe, expect, it } from 'vitest';
import { SlowConsumerGuard } from './slow-consumer.js';

const POLICY = { dropAudioAboveBytes: 100, closeAboveBytes: 1_000, maxSlowMs: 5_000 };

function guard(): { g: SlowConsumerGuard; slow: () => number } {
  let n = 0;
  return { g: new SlowConsumerGuard(POLICY, () => n++), slow: () => n };
}

describe('SlowConsumerGuard', () => {
  it('sends audio below the drop threshold, drops it above', () => {
    const { g, slow } = guard();
    expect(g.audio(100, 0)).toBe(true);
    expect(g.audio(101, 10)).toBe(false);
    expect(slow()).toBe(0);
  });

  it('declares the peer slow past the close threshold, for audio and events', () => {
    const { g, slow } = guard();
    expect(g.event(1_000)).toBe(true);
    expect(g.event(1_001)).toBe(false);
    expect(slow()).toBe(1);
    expect(g.audio(1_001, 0)).toBe(false);
    expect(slow()).toBe(2);
  });

  it('declares the peer slow when the backlog stays high for maxSlowMs (sends or polls)', () => {
    const a = guard();
    expect(a.g.audio(500, 1_000)).toBe(false);
    expect(a.g.audio(500, 6_000)).toBe(false);
    expect(a.slow()).toBe(0);
    a.g.audio(500, 6_001);
    expect(a.slow()).toBe(1);

    const b = guard();
    b.g.poll(500, 1_000);
    b.g.poll(500, 6_001);
    expect(b.slow()).toBe(1);
  });

  it('a backlog that drains resets the slow clock', () => {
    const { g, slow } = guard();
    g.poll(500, 1_000);
    g.poll(50, 4_000);
    g.poll(500, 5_000);
    g.poll(500, 9_000);
    expect(slow()).toBe(0);
  });
});
