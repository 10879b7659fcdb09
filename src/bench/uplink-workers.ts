import { BURSTY_ARRIVAL } from './speech-load.js';
import { spread, type Spread } from './stats.js';
import type { UplinkEnv } from './uplink-env.js';
import { uplinkRound, type UplinkArm, type UplinkPlan, type UplinkRound } from './uplink.js';

export interface WorkersLevel {
  streams: number;
  workers: number;
  /** Frames dropped by the relay / not reaching the STT, per arm (all rounds). */
  single: { dropped: number; lost: number; cpuUsPerFrame: Spread; cpuShare: Spread };
  cluster: { dropped: number; lost: number; cpuUsPerFrame: Spread; cpuShare: Spread };
  /**
   * Capacity of N workers over one, estimated per round pair from CPU per frame:
   * N × (1 worker's CPU per frame) ÷ (all cluster processes' CPU per frame). It assumes
   * each worker has a core of its own and connections spread evenly (round-robin).
   */
  capacityRatio: Spread;
}

export interface WorkersResult {
  workers: number;
  measureS: number;
  levels: WorkersLevel[];
}

function side(rs: readonly UplinkRound[]): WorkersLevel['single'] {
  return {
    dropped: rs.reduce((a, r) => a + r.dropped, 0),
    lost: rs.reduce((a, r) => a + (r.received - r.toStt), 0),
    cpuUsPerFrame: spread(rs.map((r) => r.cpuUsPerFrame)),
    cpuShare: spread(rs.map((r) => r.cpuShare)),
  };
}

/**
 * `--only workers`: the uplink load on the relay as one process and as N workers
 * (interleaved rounds, same streams), for the all-cores capacity ratio. Indicative on a
 * loaded machine: every process of the run shares the same cores.
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
    for (let r = 0; r < plan.rounds; r++) {
      for (const arm of r % 2 === 0 ? arms : [...arms].reverse()) {
        const res = await uplinkRound(env, arm, {
          streams,
          warmupMs: plan.warmupMs,
          measureMs: plan.measureMs,
          arrival: BURSTY_ARRIVAL,
          seed: 2000 + r,
        });
        (arm.child === env.relay ? single : multi).push(res);
        log(
          `  workers ${streams} streams, round ${r + 1}/${plan.rounds}, ${arm.name}: ` +
            `to STT ${res.toStt}/${res.received}, dropped ${res.dropped}, ` +
            `${res.cpuUsPerFrame.toFixed(1)} µs CPU/frame, cpu ${(res.cpuShare * 100).toFixed(0)} %`,
        );
      }
    }
    const level: WorkersLevel = {
      streams,
      workers: n,
      single: side(single),
      cluster: side(multi),
      capacityRatio: spread(
        single.map((s, i) => (n * s.cpuUsPerFrame) / (multi[i]?.cpuUsPerFrame ?? NaN)),
      ),
    };
    log(
      `  workers ${streams} streams: capacity ${n} workers ÷ 1 ≈ ${level.capacityRatio.median.toFixed(2)} ` +
        `(indicative), dropped ${level.single.dropped} / ${level.cluster.dropped}`,
    );
    levels.push(level);
  }
  return { workers: n, measureS: plan.measureMs / 1000, levels };
}
