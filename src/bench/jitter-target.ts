import { FixedBuffer } from '../media/jitter/fixed-buffer.js';
import { JitterBuffer } from '../media/jitter/jitter-buffer.js';
import { oracleFixedDelayForLoss, replay } from '../media/jitter/replay.js';
import { standardTraces } from '../media/jitter/traces.js';

export interface JitterTargetRow {
  trace: string;
  lateLossPct: number;
  adaptiveMeanMs: number;
  /** Smallest fixed buffer with late-loss ≤ the adaptive buffer's, on the same trace. */
  oracleDelayMs: number;
  oracleMeanMs: number;
  /** adaptive − oracle mean added delay (target ≤ 10 ms). */
  marginMs: number;
}

/**
 * The jitter target of the issue: the adaptive buffer's mean added delay against an
 * oracle fixed buffer at equal (or lower) late-loss, per standard trace.
 */
export function jitterTarget(): JitterTargetRow[] {
  return standardTraces().map((trace) => {
    const a = replay(trace, 'adaptive', () => new JitterBuffer<number>({}));
    const delay = oracleFixedDelayForLoss(trace, a.lateLoss);
    const o = replay(trace, 'oracle', () => new FixedBuffer<number>(delay));
    return {
      trace: trace.name,
      lateLossPct: a.lateLoss * 100,
      adaptiveMeanMs: a.meanAddedMs,
      oracleDelayMs: delay,
      oracleMeanMs: o.meanAddedMs,
      marginMs: a.meanAddedMs - o.meanAddedMs,
    };
  });
}
