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

  it('lets I/O run between slices of a long pass; every listener gets the tick once, same time', async () => {
    const ticker = new Ticker(20, undefined, 2);
    const busy = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // a listener that costs CPU
      }
    };
    const calls: number[][] = [];
    let immediateRanAt = -1;
    const offs: (() => void)[] = [];
    await new Promise<void>((resolve) => {
      for (let k = 0; k < 40; k++) {
        offs.push(
          ticker.subscribe((ts) => {
            (calls[k] ??= []).push(ts);
            if (k === 0 && calls[0]?.length === 1) {
              // Stands for a socket read that became ready during the pass.
              setImmediate(() => {
                immediateRanAt = calls.filter((c) => c.length > 0).length;
              });
            }
            busy(0.5);
            if (k === 39) {
              offs.forEach((off) => off());
              resolve();
            }
          }),
        );
      }
    });
    expect(calls.map((c) => c.length)).toEqual(new Array<number>(40).fill(1));
    expect(new Set(calls.map((c) => c[0])).size).toBe(1);
    expect(immediateRanAt).toBeGreaterThan(0);
    expect(immediateRanAt).toBeLessThan(40);
    expect(ticker.yields).toBeGreaterThan(0);
    expect(ticker.listenerCount).toBe(0);
  });

  it('a pass stopped by its own listener ends there, and a new subscriber restarts the ticker', async () => {
    const ticker = new Ticker(5, undefined, 0);
    let after = 0;
    const offs: (() => void)[] = [];
    await new Promise<void>((resolve) => {
      offs.push(
        ticker.subscribe(() => {
          offs.forEach((off) => off());
          // Subscribed during the pass that the stop ended: must tick on its own.
          const off = ticker.subscribe(() => {
            off();
            resolve();
          });
        }),
      );
      for (let k = 0; k < 40; k++) {
        offs.push(ticker.subscribe(() => after++));
      }
    });
    expect(after).toBe(0);
    expect(ticker.listenerCount).toBe(0);
  });
});
