import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimProfileOverrides } from '../engines/sim/profiles.js';
import { TEST_ADMIN_KEY, TEST_JWT_SECRET, testToken } from '../testing/relay-harness.js';
import { spawnBenchChild, type BenchChild } from './child-ipc.js';
import type { ForwarderChildConfig } from './forwarder-child.js';
import type { Target } from './load-gen.js';
import type { RelayChildConfig, RelayChildInfo } from './relay-child.js';
import type { RelayClusterChildConfig } from './relay-cluster-child.js';
import { spawnSpeechSink, type SpeechSinkHandle } from './speech-sink-child.js';

/** The sim stage latencies of the uplink benchmark: those of the repository's sim pipeline. */
export const SPEECH_SIM_PROFILE: SimProfileOverrides = {
  stt: { finalDelayMs: 100, partialCadenceMs: 200, endpointSilenceMs: 500 },
  llm: { ttftMs: 200, interTokenMs: 20 },
  tts: { firstAudioMs: 100, realTimeFactor: 0.2 },
};

/** STT endpoint silence and the per-session audio budget (the relay's default 10 s). */
export const SPEECH_SILENCE_MS = 500;
const BUFFER_SECONDS = 10;
export const MAX_PENDING_FRAMES = (BUFFER_SECONDS * 1000) / 20;

function speechPipeline(stt: string, engines: string, sttBudget: string): string {
  return `name: speech
audio: { sampleRateHz: 16000 }
stages:
  stt: { endpoints: ["${stt}"], budgetMs: 1500, onBudgetExceeded: ${sttBudget}, interimResults: true, endpointing: { silenceMs: ${SPEECH_SILENCE_MS} } }
  llm: { endpoints: ["${engines}"], budgetMs: 2000, onBudgetExceeded: cancel }
  tts: { endpoints: ["${engines}"], budgetMs: 1000, onBudgetExceeded: cancel }
output: { leadMs: 60 }
uplink: { bufferSeconds: ${BUFFER_SECONDS} }
`;
}

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

/**
 * The uplink benchmark's processes: one sim engine (STT + LLM + TTS, counting what its
 * STT receives), the relay with the `speech` pipeline on it, and the bare forwarder to
 * the same STT. Each in its own process, all on 127.0.0.1.
 */
export interface UplinkEnv {
  sink: SpeechSinkHandle;
  relay: BenchChild<RelayChildInfo>;
  forwarder: BenchChild<{ address: string }>;
  relayTarget: Target;
  forwarderTarget: Target;
  /** With `relayWorkers`: the same relay run as a cluster of that many workers. */
  cluster?: { workers: number; child: BenchChild<RelayChildInfo>; target: Target };
  /** A fresh relay process on the same pipeline (caller stops it) and its target. */
  spawnRelay(
    env?: Readonly<Record<string, string>>,
  ): Promise<{ child: BenchChild<RelayChildInfo>; target: Target }>;
  close(): Promise<void>;
}

export interface UplinkEnvOptions {
  /** Extra node flags for the relay process (e.g. --cpu-prof). */
  relayNodeArgs?: readonly string[];
  /** Extra node flags for the forwarder process (e.g. --cpu-prof, to compare profiles). */
  forwarderNodeArgs?: readonly string[];
  /** LLM and TTS on a second sim engine process (STT alone on the counting one). */
  splitStages?: boolean;
  /** The relay's STT onBudgetExceeded (default cancel: restart the stream). */
  sttBudgetAction?: 'cancel' | 'record';
  /** HTTP/2 receive window of the sim engine (default Node's 64 KiB). */
  engineWindowBytes?: number;
  /** Also start the relay with `--workers N` (N > 1), next to the single-process one. */
  relayWorkers?: number;
}

export async function startUplinkEnv(o: UplinkEnvOptions = {}): Promise<UplinkEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'vr-uplink-'));
  const cleanups: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const closeAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      await c().catch(() => undefined);
    }
  };
  try {
    const sink = await spawnSpeechSink(SPEECH_SIM_PROFILE, o.engineWindowBytes);
    cleanups.push(() => sink.stop());
    const pipelines = join(dir, 'pipelines');
    await mkdir(pipelines);
    let engines = sink.address;
    if (o.splitStages === true) {
      const other = await spawnSpeechSink(SPEECH_SIM_PROFILE);
      cleanups.push(() => other.stop());
      engines = other.address;
    }
    await writeFile(
      join(pipelines, 'speech.yaml'),
      speechPipeline(sink.address, engines, o.sttBudgetAction ?? 'cancel'),
    );
    const relayConfig: RelayChildConfig = {
      pipelinesDir: pipelines,
      jwtSecret: TEST_JWT_SECRET,
      adminKey: TEST_ADMIN_KEY,
    };
    const relay = await spawnBenchChild<RelayChildInfo>(
      here('./relay-child.ts'),
      relayConfig,
      o.relayNodeArgs,
    );
    cleanups.push(() => relay.stop());
    const forwarder = await spawnBenchChild<{ address: string }>(
      here('./forwarder-child.ts'),
      {
        sttAddress: sink.address,
        maxPendingFrames: MAX_PENDING_FRAMES,
        sampleRateHz: 16_000,
        silenceMs: SPEECH_SILENCE_MS,
      } satisfies ForwarderChildConfig,
      o.forwarderNodeArgs,
    );
    cleanups.push(() => forwarder.stop());
    const token = await testToken({ expiresInSec: 4 * 3600, pipelines: '*' });
    const headers = { authorization: `Bearer ${token}` };
    let cluster: UplinkEnv['cluster'];
    if (o.relayWorkers !== undefined && o.relayWorkers > 1) {
      const child = await spawnBenchChild<RelayChildInfo>(here('./relay-cluster-child.ts'), {
        pipelinesDir: pipelines,
        jwtSecret: TEST_JWT_SECRET,
        adminKey: TEST_ADMIN_KEY,
        workers: o.relayWorkers,
      } satisfies RelayClusterChildConfig);
      cleanups.push(() => child.stop());
      const url = `ws://${child.info.mediaAddress}/v1/sessions?pipeline=speech`;
      cluster = { workers: o.relayWorkers, child, target: { url, headers } };
    }
    return {
      ...(cluster === undefined ? {} : { cluster }),
      sink,
      relay,
      forwarder,
      relayTarget: {
        url: `ws://${relay.info.mediaAddress}/v1/sessions?pipeline=speech`,
        headers: { authorization: `Bearer ${token}` },
      },
      forwarderTarget: { url: `ws://${forwarder.info.address}/`, headers: {} },
      spawnRelay: async (env = {}) => {
        const child = await spawnBenchChild<RelayChildInfo>(
          here('./relay-child.ts'),
          relayConfig,
          [],
          env,
        );
        const url = `ws://${child.info.mediaAddress}/v1/sessions?pipeline=speech`;
        return { child, target: { url, headers } };
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
