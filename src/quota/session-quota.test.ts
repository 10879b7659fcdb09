// Day windows: a minute window could roll over between two counts.
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayError } from '../errors/index.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { countTenantUsage } from '../state/tenant-usage.js';
import { until } from '../testing/gateway-client.js';
import { QuotaService } from './quota-service.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.close();
  }
});

function service(sttSecondsPerDay: number, action: 'refuse-turns' | 'end-session') {
  const store = new MemoryStateStore({ nodeId: 'n1' });
  const quotas = new QuotaService({
    store,
    config: { refreshMs: 1_000, tenants: { t1: { action, sttSecondsPerDay } } },
    metrics: createMetrics(),
    logger: silentLogger(),
  });
  open.push(quotas, store);
  const used = async (): Promise<number> =>
    (await countTenantUsage(store, 't1', undefined)).usage.stt_seconds.day.used;
  return { store, quotas, used };
}

describe('session quota meter', () => {
  it('counts STT audio in whole seconds per utterance, the rest at the end, then refuses', async () => {
    const { quotas, used } = service(3, 'refuse-turns');
    expect(quotas.session('nobody-configured', () => undefined)).toBeUndefined();
    const q = quotas.session('t1', () => undefined);
    if (q === undefined) {
      throw new Error('t1 has quotas');
    }
    q.sttFrames(49); // 0.98 s: nothing counted yet
    q.sttFrames(120); // 2.4 s: 2 whole seconds
    await until(async () => ((await used()) === 2 ? true : undefined));
    expect(q.admit()).toBeUndefined();
    q.close(130); // 2.6 s in all: the last 0.6 s round up at the end
    await until(async () => ((await used()) === 3 ? true : undefined));
    // A new session of the tenant starts over the limit: its turns are refused.
    const next = quotas.session('t1', () => undefined);
    await until(() => Promise.resolve(quotas.exceeded('t1') === undefined ? undefined : true));
    const err = next?.admit();
    expect(err?.code).toBe('RELAY_ERR_QUOTA_EXCEEDED');
    expect(err?.details).toMatchObject({ resource: 'stt_seconds', window: 'day', limit: 3 });
    expect(next?.refusing).toBe(true);
  });

  it('ends the session once, asynchronously, under end-session', async () => {
    const { quotas } = service(1, 'end-session');
    const ended: RelayError[] = [];
    const q = quotas.session('t1', (e) => ended.push(e));
    q?.sttFrames(60);
    await until(() => Promise.resolve(quotas.exceeded('t1') === undefined ? undefined : true));
    expect(q?.admit()?.code).toBe('RELAY_ERR_QUOTA_EXCEEDED');
    expect(ended).toHaveLength(0);
    q?.admit();
    await until(() => Promise.resolve(ended.length > 0 ? true : undefined));
    expect(ended).toHaveLength(1);
  });
});
