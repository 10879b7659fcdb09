import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ADMIN_KEY, TEST_JWT_SECRET, testToken } from '../testing/relay-harness.js';
import { spawnBenchChild, type BenchChild } from './child-ipc.js';
import { spawnEngine } from './child-engine.js';
import type { DirectChildConfig, DirectChildInfo } from './direct-child.js';
import type { RelayChildConfig, RelayChildInfo } from './relay-child.js';
import type { RelayClusterChildConfig } from './relay-cluster-child.js';
import { spawnSink, type SinkHandle } from './sink-child.js';
import type { Target } from './load-gen.js';

/**
 * Latencies the sim stages are configured with for the first-audio benchmark: the
 * relay's first-audio overhead is measured against their sum.
 */
export const TURN_LATENCY = { silenceMs: 300, finalDelayMs: 50, ttftMs: 100, firstAudioMs: 50 };

/** Speaking rate of the frame-latency pipelines: 4× longer reply audio per character. */
const LOAD_SPEAKING_RATE = 0.25;
const SIM_PROFILE = {
  stt: { finalDelayMs: TURN_LATENCY.finalDelayMs, partialCadenceMs: 200 },
  llm: { ttftMs: TURN_LATENCY.ttftMs, interTokenMs: 0 },
  tts: {
    firstAudioMs: TURN_LATENCY.firstAudioMs,
    msPerChar: 20,
    realTimeFactor: 0.9,
    chunkMs: 1000,
  },
};

/** What every client of the bidirectional rounds says once: ~16 s of reply audio. */
export const REPLY_TEXT = Array.from(
  { length: 4 },
  () => 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima',
).join(' ');

function loadPipeline(name: string, jitter: string, stt: string, engines: string): string {
  return `name: ${name}
stages:
  stt: { endpoints: ["${stt}"], budgetMs: 5000, interimResults: false, endpointing: { silenceMs: ${TURN_LATENCY.silenceMs} } }
  llm: { endpoints: ["${engines}"], budgetMs: 5000 }
  tts: { endpoints: ["${engines}"], budgetMs: 5000, speakingRate: ${name.startsWith('bench') ? LOAD_SPEAKING_RATE : 1} }
interruptions: { enabled: false }
jitter: { mode: ${jitter} }
`;
}

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

/** Everything the benchmarks talk to; all on 127.0.0.1, each server in its own process. */
export interface BenchEnv {
  sink: SinkHandle;
  sim: { address: string; pid: number };
  relay: BenchChild<RelayChildInfo>;
  direct: BenchChild<DirectChildInfo>;
  /** A fresh relay / direct pipe process on the same pipelines and stages (caller stops it). */
  spawnRelay(): Promise<BenchChild<RelayChildInfo>>;
  spawnDirect(): Promise<BenchChild<DirectChildInfo>>;
  /** The relay as `--workers N` (primary: gateway; N media workers), same pipelines. */
  spawnRelayCluster(workers: number): Promise<BenchChild<RelayChildInfo>>;
  token: string;
  adminKey: string;
  /** Upgrade target of a relay pipeline (on `child`, default the shared relay). */
  relayTarget(pipeline: string, child?: BenchChild<RelayChildInfo>): Target;
  /** The direct pipe; `path` '/turns' selects its first-audio path. */
  directTarget(child?: BenchChild<DirectChildInfo>, path?: string): Target;
  close(): Promise<void>;
}

export async function startBenchEnv(): Promise<BenchEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'vr-bench-'));
  const profile = join(dir, 'sim-profile.json');
  await writeFile(profile, JSON.stringify(SIM_PROFILE));
  const pipelines = join(dir, 'pipelines');
  const [sink, sim] = await Promise.all([spawnSink(), spawnEngine('sim', ['--profile', profile])]);
  const cleanups: (() => Promise<void>)[] = [
    () => rm(dir, { recursive: true, force: true }),
    () => sink.stop(),
    () => sim.stop(),
  ];
  try {
    await mkdir(pipelines);
    for (const [name, jitter, stt] of [
      ['bench-off', 'off', sink.address],
      ['bench-adaptive', 'adaptive', sink.address],
      ['turns-off', 'off', sim.address],
      ['turns-adaptive', 'adaptive', sim.address],
    ] as const) {
      await writeFile(
        join(pipelines, `${name}.yaml`),
        loadPipeline(name, jitter, stt, sim.address),
      );
    }
    const spawnRelay = (): Promise<BenchChild<RelayChildInfo>> =>
      spawnBenchChild<RelayChildInfo>(here('./relay-child.ts'), {
        pipelinesDir: pipelines,
        jwtSecret: TEST_JWT_SECRET,
        adminKey: TEST_ADMIN_KEY,
      } satisfies RelayChildConfig);
    const spawnRelayCluster = (workers: number): Promise<BenchChild<RelayChildInfo>> =>
      spawnBenchChild<RelayChildInfo>(here('./relay-cluster-child.ts'), {
        pipelinesDir: pipelines,
        jwtSecret: TEST_JWT_SECRET,
        adminKey: TEST_ADMIN_KEY,
        workers,
      } satisfies RelayClusterChildConfig);
    const spawnDirect = (): Promise<BenchChild<DirectChildInfo>> =>
      spawnBenchChild<DirectChildInfo>(here('./direct-child.ts'), {
        sttAddress: sink.address,
        ttsAddress: sim.address,
        turnSttAddress: sim.address,
        llmAddress: sim.address,
        turnSilenceMs: TURN_LATENCY.silenceMs,
        speakingRate: LOAD_SPEAKING_RATE,
        turnSpeakingRate: 1,
        sampleRateHz: 16_000,
        leadMs: 60,
      } satisfies DirectChildConfig);
    const [relay, direct] = await Promise.all([spawnRelay(), spawnDirect()]);
    cleanups.push(
      () => relay.stop(),
      () => direct.stop(),
    );
    const token = await testToken({ expiresInSec: 4 * 3600, pipelines: '*' });
    return {
      sink,
      sim: { address: sim.address, pid: sim.child.pid ?? 0 },
      relay,
      direct,
      spawnRelay,
      spawnDirect,
      spawnRelayCluster,
      token,
      adminKey: TEST_ADMIN_KEY,
      relayTarget: (pipeline, child = relay) => ({
        url: `ws://${child.info.mediaAddress}/v1/sessions?pipeline=${pipeline}`,
        headers: { authorization: `Bearer ${token}` },
      }),
      directTarget: (child = direct, path = '/') => ({
        url: `ws://${child.info.address}${path}`,
        headers: {},
      }),
      close: async () => {
        for (const c of cleanups.reverse()) {
          await c().catch(() => undefined);
        }
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) {
      await c().catch(() => undefined);
    }
    throw err;
  }
}

/** CPU time (µs) of another process from /proc (10 ms resolution); 0 where unavailable. */
export async function procCpuUs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return 0;
  }
}
