import { describe, expect, it } from 'vitest';
import { CutoffWatch } from './cutoff-watch.js';

describe('CutoffWatch', () => {
  const eot = { detector: 'semantic', probability: 0.9, waitMs: 250 };

  it('flags the last ended turn once when the caller resumes within the window', () => {
    const w = new CutoffWatch(1000);
    w.ended('s.t1', 5000, eot);
    expect(w.metricsFor('s.t1')).toEqual({ ...eot, falseCutoff: false });
    expect(w.speechStarted(5800)).toEqual({ ...eot, falseCutoff: true });
    expect(w.speechStarted(5900)).toBeUndefined(); // counted once
    expect(w.metricsFor('s.t1')?.falseCutoff).toBe(true);
    expect(w.metricsFor('s.t2')).toBeUndefined();
  });

  it('does not flag speech after the window', () => {
    const w = new CutoffWatch(1000);
    w.ended('s.t1', 5000, eot);
    expect(w.speechStarted(6001)).toBeUndefined();
    expect(w.metricsFor('s.t1')?.falseCutoff).toBe(false);
  });
});
