import { describe, expect, it } from 'vitest';
import { Ticker } from './ticker.js';

describe('Ticker', () => {
  it('drives every listener from one timer and stops when the last one leaves', async () => {
    const ticker = new Ticker(5);
    let a = 0;
    let b = 0;
    await new Promise<void>((resolve) => {
      const offA = ticker.subscribe(() => {
        a++;
      });
      const offB = ticker.subscribe(() => {
        b++;
        if (b === 5) {
          offA();
          offB();
          resolve();
        }
      });
    });
    expect(a).toBeGreaterThanOrEqual(4);
    expect(ticker.listenerCount).toBe(0);
  });

  it('keeps ticking when a listener throws, and reports the error', async () => {
    const errors: unknown[] = [];
    const ticker = new Ticker(5, (e) => errors.push(e));
    let n = 0;
    await new Promise<void>((resolve) => {
      const off1 = ticker.subscribe(() => {
        throw new Error('boom');
      });
      const off2 = ticker.subscribe(() => {
        if (++n === 3) {
          off1();
          off2();
          resolve();
        }
      });
    });
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });
});
