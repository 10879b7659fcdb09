/**
 * The relay under test with `--workers N`, in its own process tree:
 * `node --import tsx relay-cluster-child.ts '<json>'`. Config: relay-child's plus `workers`.
 * This process is the cluster primary (gateway, state); node:cluster forks the workers
 * from the same script. Stats are the workers' and the primary's metrics summed, and CPU
 * is every process's (`process_cpu_seconds_total` summed).
 */
import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import { startCluster } from '../cluster/primary.js';
import { runWorker } from '../cluster/worker.js';
import { silentLogger } from '../observability/logger.js';
import { serveParent } from './child-ipc.js';
import type { RelayChildInfo } from './relay-child.js';
import { benchRelayConfig, type RelayChildConfig } from './relay-child-config.js';

export interface RelayClusterChildConfig extends RelayChildConfig {
  workers: number;
}

type Values = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Sum of a metric's values (those whose `label` is `value`, or named `sample`). */
function total(
  all: Values,
  name: string,
  where: { label?: string; value?: string; sample?: string; le?: number } = {},
): number {
  const m = all.find((x) => x.name === name);
  return (m?.values ?? [])
    .filter(
      (v) =>
        (where.label === undefined || v.labels[where.label] === where.value) &&
        (where.sample === undefined ||
          (v as { metricName?: string }).metricName === where.sample) &&
        (where.le === undefined || v.labels['le'] === where.le),
    )
    .reduce((a, v) => a + v.value, 0);
}

/** `sessionsW<i>`: the sessions open on worker i (to check that the cluster spreads them). */
function perWorkerSessions(all: Values): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of all.find((x) => x.name === 'relay_worker_sessions_active')?.values ?? []) {
    const w = v.labels['worker'];
    if (w !== undefined) {
      out[`sessionsW${String(w)}`] = v.value;
    }
  }
  return out;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as RelayClusterChildConfig;
  const config = benchRelayConfig(cfg, cfg.workers);
  if (cluster.isWorker) {
    await runWorker(config, silentLogger());
    return;
  }
  const c = await startCluster(config, silentLogger(), cfg.workers);
  const snapshot = async (): Promise<Values> => (await c.registry.aggregate()).getMetricsAsJSON();
  const h = 'relay_frame_relay_seconds';
  serveParent(
    { mediaAddress: c.mediaAddress, gatewayUrl: c.relay.gatewayUrl ?? '' } satisfies RelayChildInfo,
    {},
    async () => {
      const all = await snapshot();
      const count = total(all, h, { sample: `${h}_count` });
      return {
        sessions: total(all, 'relay_sessions_active'),
        framesIn: total(all, 'relay_frames_in_total'),
        framesOut: total(all, 'relay_frames_out_total'),
        framesDropped: total(all, 'relay_frames_dropped_total'),
        sttBackpressure: total(all, 'relay_frames_dropped_total', {
          label: 'reason',
          value: 'stt_backpressure',
        }),
        sttUnavailable: total(all, 'relay_frames_dropped_total', {
          label: 'reason',
          value: 'stt_unavailable',
        }),
        budgetCancels: total(all, 'relay_budget_exceeded_total', { label: 'stage', value: 'stt' }),
        sttErrors: total(all, 'relay_stage_errors_total', { label: 'stage', value: 'stt' }),
        sttReconnects: total(all, 'relay_stt_stream_reopened_total'),
        sttReplayed: total(all, 'relay_stt_replayed_frames_total'),
        frameRelayCount: count,
        frameRelaySumS: total(all, h, { sample: `${h}_sum` }),
        frameRelayOver25ms: count - total(all, h, { sample: `${h}_bucket`, le: 0.025 }),
        workers: total(all, 'relay_cluster_workers'),
        ...perWorkerSessions(all),
      };
    },
    async () => {
      await c.stop();
    },
    async () => 1e6 * total(await snapshot(), 'process_cpu_seconds_total'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
