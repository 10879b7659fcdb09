import {
  interleave,
  paired,
  summarizeArm,
  type Arm,
  type ArmSummary,
  type RoundResult,
  type RoundSpec,
} from './rounds.js';
import { REPLY_TEXT, type BenchEnv } from './setup.js';
import { median, type Spread } from './stats.js';

export const DIRECT = 'direct';
export const RELAY_OFF = 'relay (jitter off)';
export const RELAY_ADAPTIVE = 'relay (jitter adaptive)';

/** The three arms of the frame-latency rounds; all bidirectional (reply audio flows back). */
export function frameArms(env: BenchEnv): Arm[] {
  return [
    { name: DIRECT, target: env.directTarget(), child: env.direct, replyText: REPLY_TEXT },
    {
      name: RELAY_OFF,
      target: env.relayTarget('bench-off'),
      child: env.relay,
      replyText: REPLY_TEXT,
    },
    {
      name: RELAY_ADAPTIVE,
      target: env.relayTarget('bench-adaptive'),
      child: env.relay,
      replyText: REPLY_TEXT,
    },
  ];
}

export interface Added {
  arm: string;
  /** Relay minus direct, per round, µs: median (min–max). */
  p50Us: Spread;
  p99Us: Spread;
  p999Us: Spread;
  /** Relay / direct, per round. */
  p50Ratio: Spread;
  p99Ratio: Spread;
}

export interface LevelResult {
  streams: number;
  arms: ArmSummary[];
  added: Added[];
  /**
   * Why the machine (not the relay) is the limit at this level, if it is: the direct
   * pipe itself lost frames, its p99 passed 100 ms, or the load generator fell behind.
   */
  saturated: string | undefined;
  rounds: RoundResult[];
}

/** The machine is saturated when even the direct pipe cannot carry the load. */
export function saturation(direct: ArmSummary | undefined): string | undefined {
  if (direct === undefined) {
    return undefined;
  }
  if (direct.lost > 0) {
    return `direct pipe lost ${direct.lost} frames`;
  }
  if (direct.p99Us.median > 100_000) {
    return `direct pipe p99 ${(direct.p99Us.median / 1000).toFixed(0)} ms`;
  }
  if (direct.sendLagP99Ms.median > 50) {
    return `load generator ${direct.sendLagP99Ms.median.toFixed(0)} ms behind`;
  }
  return undefined;
}

export function compare(results: Map<string, RoundResult[]>, baseline: string): Added[] {
  const base = results.get(baseline) ?? [];
  const out: Added[] = [];
  for (const [arm, rs] of results) {
    if (arm === baseline) {
      continue;
    }
    const p50 = paired(rs, base, (r) => r.up.p50);
    const p99 = paired(rs, base, (r) => r.up.p99);
    out.push({
      arm,
      p50Us: p50.diff,
      p99Us: p99.diff,
      p999Us: paired(rs, base, (r) => r.up.p999).diff,
      p50Ratio: p50.ratio,
      p99Ratio: p99.ratio,
    });
  }
  return out;
}

/**
 * Relay-added frame latency: at each level, `rounds` interleaved rounds of the direct
 * pipe and the relay (jitter off, and adaptive). Latency is one-way, client send →
 * STT stage receive, measured on one hrtime clock, so the added latency is the plain
 * difference relay − direct (no halving of a round trip).
 */
export async function benchFrameLatency(
  env: BenchEnv,
  levels: readonly number[],
  spec: Omit<RoundSpec, 'streams'>,
  rounds: number,
  log: (line: string) => void,
): Promise<LevelResult[]> {
  const out: LevelResult[] = [];
  for (const streams of levels) {
    const res = await interleave(env, frameArms(env), { ...spec, streams }, rounds, log);
    const arms = [...res.values()].map((rs) => summarizeArm(rs));
    out.push({
      streams,
      arms,
      saturated: saturation(arms.find((a) => a.arm === DIRECT)),
      added: compare(res, DIRECT),
      rounds: [...res.values()].flat(),
    });
  }
  return out;
}

export interface CapacityStep {
  streams: number;
  addedP99Us: number;
  relayP99Us: number;
  directP99Us: number;
  dropped: number;
  relayCpuShare: number;
  boxBusy: number;
  /** Set when the direct pipe itself could not carry the level (see saturation()). */
  saturated: string | undefined;
  pass: boolean;
}

export interface CapacityResult {
  steps: CapacityStep[];
  /** Most streams with added p99 ≤ 1 ms and nothing dropped (0 if none passed). */
  maxStreams: number;
  /** Relay CPU at maxStreams, fraction of one core. */
  cpuShareAtMax: number;
  /** maxStreams scaled to 70 % of one core: streams per core at 70 % CPU. */
  streamsPerCoreAt70: number;
  /**
   * CPU alone, whatever the latency: 70 % of a core over the relay's CPU per stream,
   * from the largest level where nothing was dropped.
   */
  cpuBoundStreamsPerCoreAt70: number;
  timedOut: boolean;
}

/**
 * Capacity ramp: at each level `pairs` A/B pairs of direct and relay (jitter off)
 * rounds (A B, then B A, …). A level passes when the relay's added p99 (median of the
 * pairs) is ≤ 1 ms, no frame was lost, concealed or dropped in any of its rounds, and the
 * machine was not saturated (the direct pipe carried the level).
 * Stops after two failing levels in a row or at `budgetMs`.
 */
export async function benchCapacity(
  env: BenchEnv,
  levels: readonly number[],
  spec: Omit<RoundSpec, 'streams'>,
  pairs: number,
  budgetMs: number,
  log: (line: string) => void,
): Promise<CapacityResult> {
  const started = Date.now();
  const [direct, relay] = frameArms(env) as [Arm, Arm];
  const steps: CapacityStep[] = [];
  let fails = 0;
  let timedOut = false;
  for (const streams of levels) {
    if (Date.now() - started > budgetMs) {
      timedOut = true;
      break;
    }
    const res = await interleave(env, [direct, relay], { ...spec, streams }, pairs);
    const ds = res.get(DIRECT) ?? [];
    const rs = res.get(RELAY_OFF) ?? [];
    const dropped = [...ds, ...rs].reduce(
      (a, r) => a + r.lost + r.concealed + r.downGaps + r.serverDropped + r.openFailures,
      0,
    );
    const added = paired(rs, ds, (r) => r.up.p99).diff.median;
    const cpu = median(rs.map((r) => r.cpuShare));
    const saturated = saturation(summarizeArm(ds));
    const pass = added <= 1000 && dropped === 0 && saturated === undefined;
    steps.push({
      streams,
      addedP99Us: added,
      relayP99Us: median(rs.map((r) => r.up.p99)),
      directP99Us: median(ds.map((r) => r.up.p99)),
      dropped,
      relayCpuShare: cpu,
      boxBusy: median(rs.map((r) => r.boxBusy)),
      saturated,
      pass,
    });
    log(
      `  capacity ${streams}: added p99 ${added.toFixed(0)} µs, dropped ${dropped}, relay cpu ${(cpu * 100).toFixed(0)} % → ${pass ? 'pass' : 'fail'}${saturated === undefined ? '' : ` (saturated: ${saturated})`}`,
    );
    fails = pass ? 0 : fails + 1;
    if (fails >= 2) {
      break;
    }
  }
  const passing = steps.filter((s) => s.pass);
  const best = passing.reduce<CapacityStep | undefined>(
    (b, s) => (b === undefined || s.streams > b.streams ? s : b),
    undefined,
  );
  const clean = steps
    .filter((s) => s.dropped === 0)
    .reduce<CapacityStep | undefined>(
      (b, s) => (b === undefined || s.streams > b.streams ? s : b),
      undefined,
    );
  return {
    steps,
    maxStreams: best?.streams ?? 0,
    cpuShareAtMax: best?.relayCpuShare ?? NaN,
    streamsPerCoreAt70: best === undefined ? NaN : (best.streams * 0.7) / best.relayCpuShare,
    cpuBoundStreamsPerCoreAt70:
      clean === undefined ? NaN : (clean.streams * 0.7) / clean.relayCpuShare,
    timedOut,
  };
}
