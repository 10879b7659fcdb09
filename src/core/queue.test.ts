import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './queue.js';

describe('BoundedQueue', () => {
  it('drops the oldest item when full and counts it', () => {
    const dropped: number[] = [];
    const q = new BoundedQueue<number>({
      capacity: 2,
      policy: 'drop-oldest',
      onDrop: (n) => dropped.push(n),
    });
    q.push(1);
    q.push(2);
    q.push(3);
    expect(dropped).toEqual([1]);
    expect(q.dropped).toBe(1);
    expect([q.tryShift(), q.tryShift(), q.tryShift()]).toEqual([2, 3, undefined]);
  });

  it('drops the newest item with drop-newest', () => {
    const q = new BoundedQueue<number>({ capacity: 1, policy: 'drop-newest' });
    expect(q.push(1)).toBe(true);
    expect(q.push(2)).toBe(false);
    expect(q.tryShift()).toBe(1);
  });

  it('hands items to a waiting consumer and ends on close', async () => {
    const q = new BoundedQueue<string>({ capacity: 4, policy: 'drop-oldest' });
    const got: string[] = [];
    const consumer = (async () => {
      for await (const s of q) {
        got.push(s);
      }
    })();
    q.push('a');
    q.push('b');
    q.close();
    await consumer;
    expect(got).toEqual(['a', 'b']);
    expect(q.push('c')).toBe(false);
  });

  it('clear() empties it for a barge-in flush', () => {
    const q = new BoundedQueue<number>({ capacity: 4, policy: 'drop-oldest' });
    q.push(1);
    q.push(2);
    expect(q.clear()).toBe(2);
    expect(q.size).toBe(0);
  });
});
