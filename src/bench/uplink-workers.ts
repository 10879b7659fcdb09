import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchChild } from './child-ipc.js';
import { BURSTY_ARRIVAL } from './speech-load.js';
import { fmt, fmtSpread, spread, type Spread } from './stats.js';
import type { UplinkEnv } from './uplink-env.js';
import { uplinkRound, type UplinkArm, type UplinkPlan, type UplinkRound } from './uplink.js';

export interface WorkersSide {
  /** Frames dropped by the relay / received but never at the STT (all rounds). */
  dropped: number;
  lost: number;
  /** Frames at the STT ÷ frames received, all rounds pooled. */
  delivered: number;
  cpuUsPerFrame: Spread;
  /** CPU of every process of the arm, in cores. */
  cpuShare: Spread;
  /** Streams ÷ cores used (streams one fully used core carries at this load). */
  streamsPerCore: Spread;
}

export interface WorkersLevel {
  streams: number;
  workers: number;
  single: WorkersSide;
  cluster: WorkersSide;
  /**
   * Capacity of N workers over one, per round pair, from CPU per frame at this fixed load:
   * N × (1 worker's CPU per frame) ÷ (all cluster processes' CPU per frame, primary
   * included). It assumes each worker has a core of its own and that the sessions are
   * spread evenly (see `peakSessionsPerWorker`). Only meaningful when both arms deliver
   * every frame (`dropFree`).
   */
  capacityRatio: Spread;
  dropFree: boolean;
  /** The most sessions each worker held at once, sampled during the rounds. */
  peakSessionsPerWorker: number[];
}

export interface WorkersResult {
  workers: number;
  measureS: number;
  levels: WorkersLevel[];
}

function side(rs: readonly UplinkRound[]): WorkersSide {
  const received = rs.reduce((a, r) => a + r.received, 0);
  const toStt = rs.reduce((a, r) => a + r.toStt, 0);
  return {
    dropped: rs.reduce((a, r) => a + r.dropped, 0),
    lost: rs.reduce((a, r) => a + Math.max(0, r.received - r.toStt), 0),
    delivered: received === 0 ? NaN : toStt / received,
    cpuUsPerFrame: spread(rs.map((r) => r.cpuUsPerFrame)),
    cpuShare: spread(rs.map((r) => r.cpuShare)),
    streamsPerCore: spread(rs.map((r) => r.streams / r.cpuShare)),
  };
}

/** Poll the cluster's per-worker session gauges until `done` settles; the peak of each. */
async function sampleWorkers(
  child: BenchChild<unknown>,
  workers: number,
  done: Promise<unknown>,
): Promise<number[]> {
  const peak = new Array<number>(workers).fill(0);
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    const s = await child.stats().catch(() => undefined);
    for (let i = 0; i < workers; i++) {
      peak[i] = Math.max(peak[i] ?? 0, s?.extra[`sessionsW${i + 1}`] ?? 0);
    }
    await Promise.race([done.catch(() => undefined), sleep(500)]);
  }
  return peak;
}

/**
 * `--only workers`: the uplink load on the relay as one process and as N workers
 * (interleaved rounds, same streams), for the all-cores capacity ratio; the sessions each
 * worker holds are sampled so that an uneven spread shows. Indicative on a loaded
 * machine: every process of the run (load generator and sim engine too) shares the cores.
 */
export async function benchWorkers(
  env: UplinkEnv,
  plan: UplinkPlan,
  log: (line: string) => void,
): Promise<WorkersResult> {
  const cluster = env.cluster;
  if (cluster === undefined) {
    throw new Error('benchWorkers needs the uplink env started with relayWorkers');
  }
  const n = cluster.workers;
  const arms: UplinkArm[] = [
    { name: 'relay', target: env.relayTarget, child: env.relay },
    { name: `relay-w${n}`, target: cluster.target, child: cluster.child },
  ];
  const levels: WorkersLevel[] = [];
  for (const streams of plan.sizes) {
    const single: UplinkRound[] = [];
    const multi: UplinkRound[] = [];
    const peaks = new Array<number>(n).fill(0);
    for (let r = 0; r < plan.rounds; r++) {
      for (const arm of r % 2 === 0 ? arms : [...arms].reverse()) {
        const running = uplinkRound(env, arm, {
          streams,
          warmupMs: plan.warmupMs,
          measureMs: plan.measureMs,
          arrival: BURSTY_ARRIVAL,
          seed: 2000 + r,
        });
        const sampled =
          arm.child === cluster.child ? await sampleWorkers(arm.child, n, running) : [];
        const res = await running;
        sampled.forEach((v, i) => (peaks[i] = Math.max(peaks[i] ?? 0, v)));
        (arm.child === env.relay ? single : multi).push(res);
        log(
          `  workers ${streams} streams, round ${r + 1}/${plan.rounds}, ${arm.name}: ` +
            `to STT ${res.toStt}/${res.received}, dropped ${res.dropped}, ` +
            `${res.cpuUsPerFrame.toFixed(1)} µs CPU/frame, cpu ${(res.cpuShare * 100).toFixed(0)} %` +
            (sampled.length > 0 ? `, sessions per worker ${sampled.join('/')}` : ''),
        );
      }
    }
    const s = side(single);
    const c = side(multi);
    const level: WorkersLevel = {
      streams,
      workers: n,
      single: s,
      cluster: c,
      capacityRatio: spread(
        single.map((x, i) => (n * x.cpuUsPerFrame) / (multi[i]?.cpuUsPerFrame ?? NaN)),
      ),
      dropFree: s.dropped + c.dropped + s.lost + c.lost === 0,
      peakSessionsPerWorker: peaks,
    };
    log(
      `  workers ${streams} streams: capacity ${n} workers ÷ 1 ≈ ${level.capacityRatio.median.toFixed(2)} ` +
        `(indicative${level.dropFree ? '' : ', NOT drop-free'}), dropped ${s.dropped} / ${c.dropped}`,
    );
    levels.push(level);
  }
  return { workers: n, measureS: plan.measureMs / 1000, levels };
}

const pct = (v: number): string => fmt(v * 100, 2);

/** Markdown of `--only workers`. */
export function workersMarkdown(w: WorkersResult): string[] {
  const md = [
    `### All cores: one relay process vs \`--workers ${w.workers}\` (speech-like uplink, ${w.measureS} s rounds)`,
    '',
    'Same streams on both arms, interleaved rounds. CPU is every process of the arm (the cluster',
    "primary included). Capacity ratio = N × one process's CPU per frame ÷ the cluster's, at a",
    'load both arms carry without a drop; streams per core = streams ÷ cores used.',
    '',
    '| streams | arm | to STT % | dropped | CPU µs per frame | CPU % of a core | streams per core | sessions per worker (peak) |',
    '|---:|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const l of w.levels) {
    for (const [name, a, spreadOf] of [
      ['relay (1 process)', l.single, '–'],
      [`relay --workers ${l.workers}`, l.cluster, l.peakSessionsPerWorker.join(' / ')],
    ] as const) {
      md.push(
        `| ${l.streams} | ${name} | ${pct(a.delivered)} | ${a.dropped} | ${fmtSpread(a.cpuUsPerFrame, 1)} | ` +
          `${fmt(a.cpuShare.median * 100, 0)} | ${fmt(a.streamsPerCore.median, 0)} | ${spreadOf} |`,
      );
    }
  }
  md.push('');
  for (const l of w.levels) {
    md.push(
      `- ${l.streams} streams: capacity ${w.workers} workers ÷ 1 = **${fmtSpread(l.capacityRatio)}**` +
        (l.dropFree ? ' (both arms drop-free)' : ' (not drop-free: the ratio is not a capacity)'),
    );
  }
  md.push('');
  return md;
}
