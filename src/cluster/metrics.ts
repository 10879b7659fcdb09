import { randomUUID } from 'node:crypto';
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import { z } from 'zod';
import type { IpcPort } from '../state/ipc-protocol.js';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

const requestSchema = z.object({ vr: z.literal('metrics'), id: z.string() });
const replySchema = z.object({
  vr: z.literal('metrics-reply'),
  id: z.string(),
  metrics: z.array(z.unknown()),
});

/** Worker side: answer the primary's scrape requests with this process's metrics. */
export function answerMetricsRequests(port: IpcPort, registry: Registry): () => void {
  return port.onMessage((m) => {
    const req = requestSchema.safeParse(m);
    if (req.success) {
      void registry.getMetricsAsJSON().then(
        (metrics) => port.send({ vr: 'metrics-reply', id: req.data.id, metrics }),
        () => port.send({ vr: 'metrics-reply', id: req.data.id, metrics: [] }),
      );
    }
  });
}

/** Primary side: one worker's metrics, or none if it does not answer within `timeoutMs`. */
export function requestMetrics(port: IpcPort, timeoutMs: number): Promise<MetricsJson> {
  const id = randomUUID();
  return new Promise((resolve) => {
    const done = (metrics: MetricsJson): void => {
      clearTimeout(timer);
      off();
      offClose();
      resolve(metrics);
    };
    const timer = setTimeout(() => done([]), timeoutMs);
    const off = port.onMessage((m) => {
      const reply = replySchema.safeParse(m);
      if (reply.success && reply.data.id === id) {
        // Produced by prom-client's getMetricsAsJSON in the worker.
        done(reply.data.metrics as MetricsJson);
      }
    });
    const offClose = port.onClose(() => done([]));
    port.send({ vr: 'metrics', id });
  });
}

/**
 * The registry the primary serves on /metrics: its own metrics plus every worker's,
 * merged by prom-client's aggregator (counters and histograms summed; gauges summed
 * unless the metric says otherwise, e.g. process start time). Series with a `worker`
 * label stay per worker.
 */
export class ClusterRegistry extends Registry {
  readonly #local: Registry;
  readonly #workers: () => IpcPort[];
  readonly #timeoutMs: number;

  constructor(local: Registry, workers: () => IpcPort[], timeoutMs = 2_000) {
    super();
    this.#local = local;
    this.#workers = workers;
    this.#timeoutMs = timeoutMs;
  }

  override async metrics(): Promise<string> {
    const all = await Promise.all([
      this.#local.getMetricsAsJSON(),
      ...this.#workers().map((w) => requestMetrics(w, this.#timeoutMs)),
    ]);
    return AggregatorRegistry.aggregate(all.filter((m) => m.length > 0)).metrics();
  }
}

/** Metrics the primary keeps about its workers. */
export function clusterMetrics(registry: Registry, running: () => number) {
  return {
    workers: new Gauge({
      name: 'relay_cluster_workers',
      help: 'Relay worker processes currently running',
      registers: [registry],
      collect() {
        this.set(running());
      },
    }),
    restarts: new Counter({
      name: 'relay_cluster_worker_restarts_total',
      help: 'Worker processes restarted after an unexpected exit',
      registers: [registry],
    }),
  };
}

/** A worker's own series, labelled with its index (which worker holds how many sessions). */
export function workerMetrics(registry: Registry, worker: number, sessions: () => number): void {
  new Gauge({
    name: 'relay_worker_sessions_active',
    help: 'Sessions open on each worker process',
    labelNames: ['worker'] as const,
    registers: [registry],
    collect() {
      this.labels(String(worker)).set(sessions());
    },
  });
}
