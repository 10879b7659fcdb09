import { fileURLToPath } from 'node:url';
import { spawnBenchChild, type BenchChild } from './child-ipc.js';
import { DIRECT, RELAY_OFF, frameArms } from './frame-latency.js';
import type { RestLoadConfig, RestLoadResult } from './rest-load-child.js';
import {
  interleave,
  paired,
  summarizeArm,
  type Arm,
  type ArmSummary,
  type RoundSpec,
} from './rounds.js';
import type { BenchEnv } from './setup.js';
import { spread, type Spread } from './stats.js';

export interface GatewayIsolationResult {
  streams: number;
  concurrency: number;
  arms: ArmSummary[];
  /** Relay frame p99 with REST load / without, per round pair. */
  relayP99Ratio: Spread;
  /**
   * The same for the relay as `--workers 1` in role all: the gateway in the cluster
   * primary, the media loop in the worker (what the acceptance's ≤ 10 % is about).
   */
  clusterP99Ratio: Spread;
  /** The same for the direct pipe: what the machine alone does to a pipe under the load. */
  directP99Ratio: Spread;
  /** Gateway requests per second and latency while frames flowed. */
  rest: { rps: Spread; p50Ms: Spread; p99Ms: Spread; errors: number };
}

const LOADED = ' + REST load';
const CLUSTER = 'relay --workers 1 (gateway in the primary)';

function restLoad(
  url: string,
  adminKey: string,
  concurrency: number,
): Promise<BenchChild<unknown>> {
  return spawnBenchChild<unknown>(fileURLToPath(new URL('./rest-load-child.ts', import.meta.url)), {
    url,
    adminKey,
    concurrency,
  } satisfies RestLoadConfig);
}

/** Start/stop the REST load of `load` around a round; each run's figures go to `runs`. */
function backgroundOf(
  load: BenchChild<unknown>,
  runs: RestLoadResult[],
): NonNullable<Arm['background']> {
  return {
    start: () => load.request('load-start'),
    stop: async () => {
      runs.push(await load.request<RestLoadResult>('load-stop'));
    },
  };
}

/**
 * Gateway isolation: frames flow through the relay (jitter off) while another process
 * keeps `concurrency` keep-alive GET /v1/sessions loops on the relay's gateway (admin
 * key). Two relays: one process (gateway on the media loop) and `--workers 1` in role all
 * (gateway in the cluster primary, media in the worker). A/B: with and without the load,
 * interleaved; the direct pipe under the same load shows how much of a change is the
 * shared machine.
 */
export async function benchGatewayIsolation(
  env: BenchEnv,
  spec: RoundSpec,
  rounds: number,
  concurrency: number,
  log: (line: string) => void,
): Promise<GatewayIsolationResult> {
  const cluster = await env.spawnRelayCluster(1);
  const loads: BenchChild<unknown>[] = [];
  const restRuns: RestLoadResult[] = [];
  try {
    const load = await restLoad(env.relay.info.gatewayUrl, env.adminKey, concurrency);
    loads.push(load);
    const clusterLoad = await restLoad(cluster.info.gatewayUrl, env.adminKey, concurrency);
    loads.push(clusterLoad);
    const background = backgroundOf(load, restRuns);
    const [direct, relay] = frameArms(env) as [Arm, Arm];
    const clustered: Arm = {
      ...relay,
      name: CLUSTER,
      target: env.relayTarget('bench-off', cluster),
      child: cluster,
    };
    const arms: Arm[] = [
      relay,
      { ...relay, name: RELAY_OFF + LOADED, background },
      clustered,
      { ...clustered, name: CLUSTER + LOADED, background: backgroundOf(clusterLoad, restRuns) },
      direct,
      { ...direct, name: DIRECT + LOADED, background },
    ];
    const res = await interleave(env, arms, spec, rounds, log);
    const get = (name: string): NonNullable<ReturnType<typeof res.get>> => res.get(name) ?? [];
    return {
      streams: spec.streams,
      concurrency,
      arms: [...res.values()].map((rs) => summarizeArm(rs)),
      relayP99Ratio: paired(get(RELAY_OFF + LOADED), get(RELAY_OFF), (r) => r.up.p99).ratio,
      clusterP99Ratio: paired(get(CLUSTER + LOADED), get(CLUSTER), (r) => r.up.p99).ratio,
      directP99Ratio: paired(get(DIRECT + LOADED), get(DIRECT), (r) => r.up.p99).ratio,
      rest: {
        rps: spread(restRuns.map((r) => r.rps)),
        p50Ms: spread(restRuns.map((r) => r.p50Ms)),
        p99Ms: spread(restRuns.map((r) => r.p99Ms)),
        errors: restRuns.reduce((a, r) => a + r.errors, 0),
      },
    };
  } finally {
    for (const l of loads) {
      await l.stop();
    }
    await cluster.stop();
  }
}
