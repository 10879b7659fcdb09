import type { Logger } from 'pino';
import { quotaOf, type QuotaResource, type QuotasConfig } from '../config/quota-schema.js';
import { RelayError } from '../errors/index.js';
import type { Metrics } from '../observability/metrics.js';
import { countTenantUsage, type QuotaExceeded, type TenantUsage } from '../state/tenant-usage.js';
import type { StateStore } from '../state/types.js';
import { SessionQuota } from './session-quota.js';

interface TenantState {
  sessions: number;
  /** The limit the last count found reached, if any. */
  exceeded: QuotaExceeded | undefined;
}

export interface QuotaServiceOptions {
  store: StateStore;
  config: QuotasConfig;
  metrics: Metrics;
  logger: Logger;
}

/** The refusal of a turn (or the end of a session) at `e`. */
export function quotaError(tenant: string, e: QuotaExceeded): RelayError {
  return new RelayError(
    'RELAY_ERR_QUOTA_EXCEEDED',
    `tenant quota reached: ${e.resource} per ${e.window} (${e.used} of ${e.limit})`,
    { details: { resource: e.resource, window: e.window, limit: e.limit, used: e.used, tenant } },
  );
}

/**
 * Tenant quotas of one relay process. Counters live in the state store (Redis: the
 * fleet; memory: the box), so every node counts into the same totals. Each node keeps
 * the last known state of the tenants it has sessions of, updated by every count and
 * re-read every `refreshMs` (one timer per process), for the synchronous check at each
 * turn start; each turn's first LLM call also reads the store afresh.
 */
export class QuotaService {
  readonly #o: QuotaServiceOptions;
  readonly #tenants = new Map<string, TenantState>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: QuotaServiceOptions) {
    this.#o = options;
    this.#timer = setInterval(() => this.#refresh(), options.config.refreshMs);
    this.#timer.unref();
  }

  /** The meter of a new session; undefined when the tenant has no quota. */
  session(tenant: string, end: (err: RelayError) => void): SessionQuota | undefined {
    const quota = quotaOf(this.#o.config, tenant);
    if (quota === undefined) {
      return undefined;
    }
    let state = this.#tenants.get(tenant);
    if (state === undefined) {
      state = { sessions: 0, exceeded: undefined };
      this.#tenants.set(tenant, state);
      void this.count(tenant, {});
    }
    state.sessions++;
    return new SessionQuota({ service: this, tenant, action: quota.action, end });
  }

  /** A session of `tenant` ended. */
  released(tenant: string): void {
    const state = this.#tenants.get(tenant);
    if (state !== undefined && --state.sessions <= 0) {
      this.#tenants.delete(tenant);
    }
  }

  /** The limit `tenant` is known to have reached (as of the last count), if any. */
  exceeded(tenant: string): QuotaExceeded | undefined {
    return this.#tenants.get(tenant)?.exceeded;
  }

  /**
   * Count `amounts` (none: read) for `tenant` and return the limit reached, if any. A store
   * failure is logged and leaves the last known state (quotas fail open).
   */
  async count(
    tenant: string,
    amounts: Partial<Record<QuotaResource, number>>,
  ): Promise<QuotaExceeded | undefined> {
    for (const [resource, n] of Object.entries(amounts)) {
      if (n > 0) {
        this.#o.metrics.quotaUsage.labels(tenant, resource).inc(n);
      }
    }
    let usage: TenantUsage;
    try {
      usage = await countTenantUsage(
        this.#o.store,
        tenant,
        quotaOf(this.#o.config, tenant),
        amounts,
      );
    } catch (err) {
      this.#o.logger.warn({ tenant, err: String(err) }, 'quota count failed');
      return this.exceeded(tenant);
    }
    const state = this.#tenants.get(tenant);
    if (state !== undefined) {
      state.exceeded = usage.exceeded;
    }
    return usage.exceeded;
  }

  /** A turn refused (or a session ended) at a quota. */
  refused(tenant: string, e: QuotaExceeded, action: string): void {
    this.#o.metrics.quotaRefusals.labels(tenant, e.resource, action).inc();
  }

  #refresh(): void {
    if (this.#closed) {
      return;
    }
    for (const tenant of this.#tenants.keys()) {
      void this.count(tenant, {});
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
