import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startRedisServer } from '../state/redis-harness.js';
import { RedisStateStore } from '../state/redis-store.js';
import { until } from '../testing/gateway-client.js';
import { TEST_JWT_SECRET, testToken } from '../testing/relay-harness.js';
import { startRelayProcess, type RelayProcess } from '../testing/relay-process.js';

let redis: Awaited<ReturnType<typeof startRedisServer>>;
let relay: RelayProcess;
let store: RedisStateStore;
const clients: RelayClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  store = new RedisStateStore({ url: redis.url, nodeId: 'observer' });
  relay = await startRelayProcess(
    ['--role', 'media', '--workers', '2', '--node-id', 'media-box', '--redis', redis.url],
    { VOICE_RELAY_JWT_SECRET: TEST_JWT_SECRET },
    120_000,
  );
}, 150_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await relay?.stop();
  relay?.child.kill('SIGKILL');
  await store?.close();
  await redis?.stop();
});

describe('--role media --workers 2 with Redis', () => {
  it('serves aggregated /metrics on the primary ops listener; a dead worker’s sessions leave Redis', async () => {
    expect(relay.ops).toBeDefined();
    const ops = relay.ops ?? '';
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
    let nodes = new Set<string>();
    for (let i = 0; i < 8 && nodes.size < 2; i++) {
      const c = await RelayClient.connect({
        url: `ws://${relay.media}`,
        pipeline: 'sim',
        token: await testToken(),
      });
      clients.push(c);
      const { sessionId } = await c.log.waitFor('session.ready');
      const rec = await until(async () => store.getSession(sessionId));
      nodes = new Set([...nodes, rec.node]);
    }
    expect([...nodes].sort()).toEqual(['media-box-w1', 'media-box-w2']);
    const text = await (await fetch(`${ops}/metrics`)).text();
    expect(text).toContain('relay_cluster_workers 2');
    expect(text).toContain(`relay_sessions_active{transport="ws"} ${clients.length}`);

    const started = relay
      .output()
      .split('\n')
      .filter((l) => l.includes('"msg":"worker started"'))
      .map((l) => JSON.parse(l) as { worker: number; pid: number });
    const victim = started.find((s) => s.worker === 1);
    expect(victim).toBeDefined();
    process.kill(victim?.pid ?? 0, 'SIGKILL');
    await until(async () =>
      (await store.listSessions()).some((r) => r.node === 'media-box-w1') ? undefined : true,
    );
    expect((await store.listSessions()).some((r) => r.node === 'media-box-w2')).toBe(true);
    await until(async () =>
      (await (await fetch(`${ops}/metrics`)).text()).includes('relay_cluster_workers 2')
        ? true
        : undefined,
    );
  }, 90_000);

  it('drains both workers on SIGTERM and exits 0', async () => {
    expect(await relay.stop()).toBe(0);
  }, 60_000);
});
