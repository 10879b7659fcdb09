/**
 * The relay under test, in its own process: `node --import tsx relay-child.ts '<json>'`.
 * Config: { pipelinesDir, jwtSecret, adminKey }. Media and gateway on 127.0.0.1:0,
 * limits raised so the benchmark's own connection pattern is never refused.
 */
import { silentLogger } from '../observability/logger.js';
import { relayConfigSchema } from '../server/relay-config.js';
import { startRelay } from '../server/relay.js';
import { serveParent } from './child-ipc.js';

export interface RelayChildConfig {
  pipelinesDir: string;
  jwtSecret: string;
  adminKey: string;
}

export interface RelayChildInfo {
  mediaAddress: string;
  gatewayUrl: string;
}

interface CounterLike {
  get(): Promise<{ values: { value: number; labels: Partial<Record<string, string | number>> }[] }>;
}

/** Sum over every label set of a prom-client counter (or those whose `label` is `value`). */
async function sum(counter: CounterLike, label?: string, value?: string): Promise<number> {
  const m = await counter.get();
  return m.values
    .filter((v) => label === undefined || v.labels[label] === value)
    .reduce((a, v) => a + v.value, 0);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as RelayChildConfig;
  const config = relayConfigSchema.parse({
    mediaPort: 0,
    gatewayPort: 0,
    pipelinesDir: cfg.pipelinesDir,
    logLevel: 'silent',
    adminKeys: [cfg.adminKey],
    jwt: { hs256Secret: cfg.jwtSecret },
    heartbeatMs: 60_000,
    limits: {
      maxSessions: 10_000,
      maxSessionsPerKey: 10_000,
      connectsPerMinute: 1_000_000,
    },
  });
  const relay = await startRelay(config, silentLogger());
  const m = relay.metrics;
  /** Socket → STT write inside the relay: count, sum (s) and frames over 25 ms (the top bucket). */
  const frameRelay = async (): Promise<Record<string, number>> => {
    const h = await m.frameRelay.get();
    const v = (name: string, le?: number): number =>
      h.values.find((x) => x.metricName === name && (le === undefined || x.labels['le'] === le))
        ?.value ?? 0;
    const count = v('relay_frame_relay_seconds_count');
    return {
      frameRelayCount: count,
      frameRelaySumS: v('relay_frame_relay_seconds_sum'),
      frameRelayOver25ms: count - v('relay_frame_relay_seconds_bucket', 0.025),
    };
  };
  serveParent(
    {
      mediaAddress: relay.mediaAddress ?? '',
      gatewayUrl: relay.gatewayUrl ?? '',
    } satisfies RelayChildInfo,
    {},
    async () => ({
      sessions: relay.sessions?.size ?? 0,
      framesIn: await sum(m.framesIn),
      framesOut: await sum(m.framesOut),
      framesDropped: await sum(m.framesDropped),
      sttBackpressure: await sum(m.framesDropped, 'reason', 'stt_backpressure'),
      sttRestart: await sum(m.framesDropped, 'reason', 'stt_restart'),
      sttUnavailable: await sum(m.framesDropped, 'reason', 'stt_unavailable'),
      budgetCancels: await sum(m.budgetExceeded, 'stage', 'stt'),
      sttErrors: await sum(m.stageErrors, 'stage', 'stt'),
      sttReconnects: await sum(m.sttReconnects),
      sttReplayed: await sum(m.sttReplayedFrames),
      ...(await frameRelay()),
      jitterLate: await sum(m.jitterFrames),
    }),
    () => relay.close(),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
