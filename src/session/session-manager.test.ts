import { describe, expect, it } from 'vitest';
import { Ticker } from '../core/ticker.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { StageClients } from '../stages/stage-clients.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { MemoryStateStore } from '../state/memory-store.js';
import type { Principal } from '../auth/principal.js';
import { SessionManager } from './session-manager.js';

/** The real in-memory store, with slot release failing as a lost store connection would. */
class FailingReleaseStore extends MemoryStateStore {
  override releaseSessionSlot(): Promise<boolean> {
    return Promise.reject(new Error('store connection lost'));
  }
}

const PRINCIPAL: Principal = {
  kind: 'api-key',
  subject: 'k1',
  tenant: 't1',
  scopes: ['session:create'],
  pipelines: '*',
  keyId: 'k1',
};

describe('session manager store failures', () => {
  it('a failed slot release in the background is counted and logged, not swallowed', async () => {
    const metrics = createMetrics();
    const warnings: string[] = [];
    const logger = silentLogger();
    logger.warn = (obj: unknown, msg?: string) => {
      warnings.push(msg ?? String(obj));
    };
    const ticker = new Ticker(20);
    const clients = new StageClients();
    const manager = new SessionManager({
      nodeId: 'n1',
      store: new FailingReleaseStore({ nodeId: 'n1' }),
      deps: { stages: grpcStageFactory(clients), ticker, metrics, logger },
      limits: { maxSessionsPerKey: 5, connectsPerMinute: 60, maxSessions: 10 },
      logger,
    });
    const admission = await manager.admit(PRINCIPAL);
    manager.release(admission);
    const count = async (): Promise<number> =>
      (await metrics.storeErrors.get()).values[0]?.value ?? 0;
    for (let i = 0; i < 1000 && (await count()) !== 1; i++) {
      await new Promise<void>((r) => setImmediate(r));
    }
    expect((await metrics.storeErrors.get()).values).toEqual([
      expect.objectContaining({ labels: { op: 'release_slot' }, value: 1 }),
    ]);
    expect(warnings).toContain('state store operation failed');
    ticker.stop();
    clients.close();
  });
});
