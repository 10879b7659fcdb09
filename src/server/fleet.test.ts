import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startRedisServer } from '../state/redis-harness.js';
import { until } from '../testing/gateway-client.js';
import {
  TEST_ADMIN_KEY,
  TEST_JWT_SECRET,
  startTestRelay,
  testToken,
  wsUrl,
} from '../testing/relay-harness.js';
import { startRelayProcess, type RelayProcess } from '../testing/relay-process.js';
import type { Relay } from './relay.js';

let redis: Awaited<ReturnType<typeof startRedisServer>>;
let a: Relay;
let b: RelayProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  a = await startTestRelay({ redisUrl: redis.url, nodeId: 'node-a' });
  // Node B is a separate relay process; the two meet only in redis-server.
  b = await startRelayProcess(
    ['--redis', redis.url, '--node-id', 'node-b', '--log-level', 'info'],
    {
      VOICE_RELAY_JWT_SECRET: TEST_JWT_SECRET,
      VOICE_RELAY_ADMIN_KEYS: TEST_ADMIN_KEY,
    },
  );
});
afterAll(async () => {
  await a?.close();
  await b?.stop();
  await redis?.stop();
});

const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

describe('two relays sharing one redis-server', () => {
  it('DELETE /v1/sessions/:id on one gateway ends a session owned by the other node', async () => {
    const c = await RelayClient.connect({
      url: `ws://${b.media}`,
      pipeline: 'sim',
      token: await testToken(),
    });
    const ready = await c.log.waitFor('session.ready');
    const record = await until(async () => {
      const res = await fetch(`${a.gatewayUrl}/v1/sessions/${ready.sessionId}`, { headers: admin });
      return res.status === 200 ? ((await res.json()) as { node: string }) : undefined;
    });
    expect(record.node).toBe('node-b');
    const listed = await fetch(`${a.gatewayUrl}/v1/sessions?tenant=acme`, { headers: admin });
    expect(JSON.stringify(await listed.json())).toContain(ready.sessionId);
    const del = await fetch(`${a.gatewayUrl}/v1/sessions/${ready.sessionId}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(del.status).toBe(202);
    const closing = await c.log.waitFor('session.closing');
    expect(closing.reason).toContain('terminated');
    expect((await c.closed).code).toBe(1000);
    await until(async () =>
      (await fetch(`${a.gatewayUrl}/v1/sessions/${ready.sessionId}`, { headers: admin })).status ===
      404
        ? true
        : undefined,
    );
    const metrics = await (await fetch(`${b.gateway}/metrics`)).text();
    expect(metrics).toMatch(/relay_sessions_active\{transport="ws"\} 0/);
  });

  it('enforces the per-credential session limit across both nodes', async () => {
    await a.close();
    a = await startTestRelay({
      redisUrl: redis.url,
      nodeId: 'node-a',
      limits: { maxSessionsPerKey: 1 },
    });
    const a2 = await startTestRelay({
      redisUrl: redis.url,
      nodeId: 'node-c',
      limits: { maxSessionsPerKey: 1 },
    });
    try {
      const token = await testToken({ subject: 'one-only' });
      const c = await RelayClient.connect({ url: wsUrl(a), pipeline: 'sim', token });
      const refused = await RelayClient.connect({ url: wsUrl(a2), pipeline: 'sim', token }).then(
        () => 0,
        (e: { status?: number }) => e.status ?? -1,
      );
      expect(refused).toBe(429);
      await c.close();
    } finally {
      await a2.close();
    }
  });

  it('node B drains on SIGTERM and exits 0', async () => {
    expect(await b.stop()).toBe(0);
  });
});
