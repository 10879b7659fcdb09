import { seqDiff32 } from '../../core/seq.js';
import { FixedBuffer } from './fixed-buffer.js';
import { JitterBuffer, type JitterBufferOptions, type JitterStats } from './jitter-buffer.js';
import { relativeDelayQuantile, standardTraces, type Trace } from './traces.js';

/**
 * Offline trace replay. Arrivals are pushed at their arrival time; the buffer is pulled on a
 * simulated 20 ms tick, drained until it returns nothing, exactly as the adapter does.
 *
 * Definitions:
 * - late-loss = frames that arrived but were never played (late or overflow) / frames that
 *   arrived (frames the trace itself lost are excluded).
 * - added buffering delay = time the frame is handed to the consumer (the pull tick) − its
 *   arrival time. Any tick-aligned consumer pays part of this even without a buffer.
 * - concealed ratio = concealed slots / (played + concealed), counting only slots of the
 *   trace's frames (not the slots concealed after its last frame).
 * - convergence = time from the start (or from the trace's step) until the applied delay
 *   first comes within ±max(2 ms, 10 %) of its mean over the last quarter of the trace.
 * Each replay runs at several tick phases (0, 5, 10, 15 ms) and pools the results, so no
 * figure depends on a lucky alignment of arrivals and ticks.
 */

export interface ReplayResult {
  readonly trace: string;
  readonly buffer: string;
  readonly sent: number;
  readonly received: number;
  readonly played: number;
  readonly lateLoss: number;
  readonly meanAddedMs: number;
  readonly p95AddedMs: number;
  readonly concealedRatio: number;
  readonly finalDelayMs: number;
  readonly convergenceMs: number;
  /** Stats of the last phase run. */
  readonly stats: JitterStats;
}

export interface ReplayOptions {
  readonly pullPeriodMs?: number;
  readonly phasesMs?: readonly number[];
}

export type BufferFactory = () => JitterBuffer<number>;

const DEFAULT_PHASES = [0, 5, 10, 15];

export function replay(
  trace: Trace,
  label: string,
  factory: BufferFactory,
  options: ReplayOptions = {},
): ReplayResult {
  const pull = options.pullPeriodMs ?? trace.frameMs;
  const phases = options.phasesMs ?? DEFAULT_PHASES;
  const received = trace.packets.filter((p) => !p.lost).length;
  const order = trace.packets
    .map((p, i) => ({ i, at: p.arrivalMs }))
    .filter((e) => !Number.isNaN(e.at))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  const added: number[] = [];
  let played = 0;
  let concealed = 0;
  let finalSum = 0;
  let convSum = 0;
  let stats: JitterStats | undefined;
  const first = order[0]?.at ?? 0;
  const firstSeq = trace.packets[0]?.seq ?? 0;
  const lastArrival = order[order.length - 1]?.at ?? 0;
  for (const phase of phases) {
    const buffer = factory();
    const tickBase = Math.floor(first / pull) * pull + phase;
    const end = lastArrival + 1000;
    const delays: number[] = [];
    const times: number[] = [];
    let next = 0;
    for (let k = 0; tickBase + k * pull <= end; k++) {
      const t = tickBase + k * pull;
      for (let e = order[next]; e !== undefined && e.at <= t; e = order[++next]) {
        const p = trace.packets[e.i];
        if (p !== undefined) {
          buffer.push(e.i, p.seq, p.mediaTsMs, p.arrivalMs);
        }
      }
      for (let out = buffer.pull(t); out !== undefined; out = buffer.pull(t)) {
        if (out.concealed) {
          // Slots past the trace's last frame are the buffer running dry at the end.
          if (seqDiff32(firstSeq, out.seq) < trace.packets.length) {
            concealed++;
          }
        } else {
          played++;
          added.push(t - out.arrivalMs);
        }
      }
      if (t <= lastArrival) {
        times.push(t);
        delays.push(buffer.currentDelayMs);
      }
    }
    const conv = convergence(times, delays, trace.stepAtMs ?? first);
    finalSum += conv.finalMs;
    convSum += conv.convergenceMs;
    stats = buffer.stats();
  }
  const runs = phases.length;
  const sorted = Float64Array.from(added).sort();
  const p95 = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? 0;
  const mean = sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return {
    trace: trace.name,
    buffer: label,
    sent: trace.packets.length,
    received,
    played: played / runs,
    lateLoss: received > 0 ? 1 - played / runs / received : 0,
    meanAddedMs: mean,
    p95AddedMs: p95,
    concealedRatio: played + concealed > 0 ? concealed / (played + concealed) : 0,
    finalDelayMs: finalSum / runs,
    convergenceMs: convSum / runs,
    stats: stats ?? factory().stats(),
  };
}

function convergence(
  times: readonly number[],
  delays: readonly number[],
  fromMs: number,
): { finalMs: number; convergenceMs: number } {
  const n = delays.length;
  const tail = delays.slice(Math.floor((n * 3) / 4));
  const finalMs = tail.length > 0 ? tail.reduce((a, b) => a + b, 0) / tail.length : 0;
  const band = Math.max(2, 0.1 * finalMs);
  for (let i = 0; i < n; i++) {
    const t = times[i] ?? 0;
    if (t >= fromMs && Math.abs((delays[i] ?? 0) - finalMs) <= band) {
      return { finalMs, convergenceMs: t - fromMs };
    }
  }
  return { finalMs, convergenceMs: NaN };
}

/** Fixed delay sized to the trace's q99 relative delay, plus the pull period. */
export function oracleFixedDelayMs(trace: Trace, q = 0.99): number {
  return Math.ceil(relativeDelayQuantile(trace, q)) + trace.frameMs;
}

/** Smallest fixed delay (1 ms steps) whose late-loss on this trace is ≤ `maxLateLoss`. */
export function oracleFixedDelayForLoss(
  trace: Trace,
  maxLateLoss = 0.01,
  options: ReplayOptions = {},
): number {
  let lo = 0;
  let hi = 400;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = replay(trace, 'probe', () => new FixedBuffer<number>(mid), options);
    if (r.lateLoss <= maxLateLoss) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

/**
 * Adaptive buffer (defaults) vs a plain NetEQ-like q0.95 controller (same core, no late
 * grace: frames missing at their playout point are concealed at once), vs two oracle
 * fixed buffers: one sized to the trace's q99 relative delay, one to the smallest delay that
 * keeps late-loss ≤ 1 % on this very trace.
 */
export function compareOnTrace(
  trace: Trace,
  adaptive: JitterBufferOptions = {},
  options: ReplayOptions = {},
): ReplayResult[] {
  const p99 = oracleFixedDelayMs(trace);
  const for1 = oracleFixedDelayForLoss(trace, 0.01, options);
  const plain = { ...adaptive, quantile: 0.95, lateGraceMs: 0 };
  return [
    replay(trace, 'adaptive', () => new JitterBuffer<number>(adaptive), options),
    replay(trace, 'q0.95, no grace', () => new JitterBuffer<number>(plain), options),
    replay(trace, `fixed ${p99} ms (q99 oracle)`, () => new FixedBuffer<number>(p99), options),
    replay(trace, `fixed ${for1} ms (1% oracle)`, () => new FixedBuffer<number>(for1), options),
  ];
}

function fmt(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

/** Markdown table of `compareOnTrace` over the standard traces. */
export function replayTable(traces: readonly Trace[] = standardTraces()): string {
  const lines = [
    '| trace | buffer | late-loss % | mean added ms | p95 added ms | concealed % | final delay ms | convergence ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const trace of traces) {
    for (const r of compareOnTrace(trace)) {
      const conv = r.buffer.startsWith('fixed') ? '–' : fmt(r.convergenceMs, 0);
      lines.push(
        `| ${r.trace} | ${r.buffer} | ${fmt(r.lateLoss * 100, 2)} | ${fmt(r.meanAddedMs)} | ` +
          `${fmt(r.p95AddedMs)} | ${fmt(r.concealedRatio * 100, 2)} | ${fmt(r.finalDelayMs)} | ${conv} |`,
      );
    }
  }
  return lines.join('\n');
}
