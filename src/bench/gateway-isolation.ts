import { fileURLToPath } from 'node:url';
import { spawnBenchChild } from './child-ipc.js';
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
  /** The same for the direct pipe: what the machine alone does to a pipe under the load. */
  directP99Ratio: Spread;
  /** Gateway requests per second and latency while frames flowed. */
  rest: { rps: Spread; p50Ms: Spread; p99Ms: Spread; errors: number };
}

const LOADED = ' + REST load';

/**
 * Gateway isolation: frames flow through the relay (jitter off) while another process
 * keeps `concurrency` keep-alive GET /v1/sessions loops on the relay's gateway (same
 * relay process, admin key). A/B: with and without the load, interleaved; the direct
 * pipe under the same load shows how much of a change is the shared machine.
 */
export async function benchGatewayIsolation(
  env: BenchEnv,
  spec: RoundSpec,
  rounds: number,
  concurrency: number,
  log: (line: string) => void,
): Promise<GatewayIsolationResult> {
  const load = await spawnBenchChild<unknown>(
    fileURLToPath(new URL('./rest-load-child.ts', import.meta.url)),
    {
      url: env.relay.info.gatewayUrl,
      adminKey: env.adminKey,
      concurrency,
    } satisfies RestLoadConfig,
  );
  const restRuns: RestLoadResult[] = [];
  const background = {
    start: () => load.request('load-start'),
    stop: async () => {
      restRuns.push(await load.request<RestLoadResult>('load-stop'));
    },
  };
  try {
    const [direct, relay] = frameArms(env) as [Arm, Arm];
    const arms: Arm[] = [
      relay,
      { ...relay, name: RELAY_OFF + LOADED, background },
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
      directP99Ratio: paired(get(DIRECT + LOADED), get(DIRECT), (r) => r.up.p99).ratio,
      rest: {
        rps: spread(restRuns.map((r) => r.rps)),
        p50Ms: spread(restRuns.map((r) => r.p50Ms)),
        p99Ms: spread(restRuns.map((r) => r.p99Ms)),
        errors: restRuns.reduce((a, r) => a + r.errors, 0),
      },
    };
  } finally {
    await load.stop();
  }
}
