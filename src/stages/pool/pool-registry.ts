import { EventEmitter } from 'node:events';
import type { StageName } from '../../frames/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Balance } from '../endpoint-selector.js';
import { EndpointPool, type EndpointStatus, type PoolSettings } from './endpoint-pool.js';
import { HealthChecker, type HealthTarget } from './health-checker.js';
import type { PooledCallListener } from './pooled-call.js';

/** The gRPC service a stage's health is asked about. */
export const STAGE_SERVICES: Readonly<Record<StageName, string>> = {
  stt: 'voicerelay.v1.SpeechToText',
  llm: 'voicerelay.v1.LanguageModel',
  tts: 'voicerelay.v1.TextToSpeech',
};

/**
 * The process's endpoint pools, one per stage, endpoint list and pool settings, shared
 * by every session; each with its health checker when configured.
 */
export class PoolRegistry {
  /** Endpoint transitions, as they happen. */
  readonly events = new EventEmitter<{
    health: [stage: StageName, endpoint: string, healthy: boolean];
    ejected: [stage: StageName, endpoint: string];
  }>();
  readonly #pools = new Map<string, { stage: StageName; pool: EndpointPool }>();
  readonly #checkers: HealthChecker[] = [];
  readonly #metrics: Metrics | undefined;
  /** Resolves an endpoint to its gRPC target (undefined: not reachable, not checked). */
  readonly #target: (stage: StageName, endpoint: string) => string | undefined;

  constructor(
    target: (stage: StageName, endpoint: string) => string | undefined,
    metrics?: Metrics,
  ) {
    this.#target = target;
    this.#metrics = metrics;
  }

  get(
    stage: StageName,
    endpoints: readonly string[],
    balance: Balance,
    settings: PoolSettings,
  ): EndpointPool {
    const key = `${stage}|${balance}|${endpoints.join('\n')}|${JSON.stringify(settings)}`;
    const found = this.#pools.get(key);
    if (found !== undefined) {
      return found.pool;
    }
    const m = this.#metrics;
    const pool = new EndpointPool(endpoints, balance, settings, {
      ejected: (endpoint) => {
        m?.endpointEjections.inc({ stage, endpoint });
        this.events.emit('ejected', stage, endpoint);
      },
      health: (endpoint, healthy) => {
        m?.endpointHealthy.set({ stage, endpoint }, healthy ? 1 : 0);
        this.events.emit('health', stage, endpoint, healthy);
      },
    });
    this.#pools.set(key, { stage, pool });
    const hc = settings.healthCheck;
    if (hc !== undefined) {
      const targets: HealthTarget[] = [];
      for (const endpoint of endpoints) {
        const target = this.#target(stage, endpoint);
        if (target !== undefined) {
          targets.push({ endpoint, target });
          m?.endpointHealthy.set({ stage, endpoint }, 1);
        }
      }
      this.#checkers.push(
        new HealthChecker(targets, {
          ...hc,
          service: STAGE_SERVICES[stage],
          onChange: (endpoint, healthy) => pool.setHealthy(endpoint, healthy),
        }),
      );
    }
    return pool;
  }

  /** Pooled-call events of a stage as metrics. */
  listener(stage: StageName): PooledCallListener {
    const m = this.#metrics;
    return {
      retried: () => m?.stageRetries.inc({ stage }),
      hedged: (endpoint) => m?.stageHedges.inc({ stage, result: 'started', endpoint }),
      hedgeDecided: (won, endpoint) =>
        m?.stageHedges.inc({ stage, result: won ? 'won' : 'lost', endpoint }),
    };
  }

  /** Every pool's endpoints, for the gateway and tests. */
  status(): { stage: StageName; endpoints: EndpointStatus[] }[] {
    return [...this.#pools.values()].map((p) => ({ stage: p.stage, endpoints: p.pool.status() }));
  }

  close(): void {
    for (const c of this.#checkers.splice(0)) {
      c.close();
    }
  }
}
