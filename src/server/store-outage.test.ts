import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startRedisServer, type RedisServerHandle } from '../state/redis-harness.js';
import { ADMIN_HEADERS, refusalOf, until } from '../testing/gateway-client.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/**
 * A Redis outage and restart under a live relay: readiness follows the store, store
 * calls fail fast, live sessions go on, new sessions are refused (503) by default or
 * admitted in the degraded mode, and the registry heals once Redis is back.
 */
let redis: RedisServerHandle | undefined;
let relay: Relay | undefined;
const clients: RelayClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await relay?.close();
  await redis?.stop();
  relay = undefined;
  redis = undefined;
});

async function status(url: string, init: RequestInit = {}): Promise<number> {
  return (await fetch(url, init)).status;
}

async function waitStatus(url: string, want: number, init: RequestInit = {}): Promise<void> {
  await until(async () => ((await status(url, init)) === want ? true : undefined));
}

async function talk(c: RelayClient, text: string): Promise<void> {
  const nth = c.log.of('response.done').length + 1;
  c.sendEvent({ type: 'input.text', text });
  await c.log.waitFor('response.done', () => true, 15_000, nth);
}

/** A generous bound that only a queued-until-timeout store call would break. */
const COMMAND_TIMEOUT_MS = 60_000;

async function startOn(
  server: RedisServerHandle,
  nodeId: string,
  whenUnavailable: 'refuse' | 'admit',
): Promise<Relay> {
  const state = { refreshMs: 200, commandTimeoutMs: COMMAND_TIMEOUT_MS, whenUnavailable };
  return startTestRelay({ redisUrl: server.url, nodeId, state });
}

describe('state store outage', () => {
  it('readiness, fail-fast refusals, live sessions and a healed registry', async () => {
    redis = await startRedisServer();
    relay = await startOn(redis, 'outage-a', 'refuse');
    const gw = relay.gatewayUrl ?? '';
    const token = await testToken();
    const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
    clients.push(c);
    const { sessionId } = await c.log.waitFor('session.ready');
    const sessionUrl = `${gw}/v1/sessions/${sessionId}`;
    await waitStatus(sessionUrl, 200, { headers: ADMIN_HEADERS });
    expect(await status(`${gw}/readyz`)).toBe(200);

    await redis.stop();
    await waitStatus(`${gw}/readyz`, 503);
    const body = (await (await fetch(`${gw}/readyz`)).json()) as { error: { code: string } };
    expect(body.error.code).toBe('RELAY_ERR_STORE_UNAVAILABLE');

    // Failing fast: with the (deliberately huge) command timeout waited for, this would
    // outlast the test's own timeout.
    const refused = await refusalOf(
      RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token }),
    );
    expect(refused).toEqual({ status: 503, code: 'RELAY_ERR_STORE_UNAVAILABLE' });
    expect(await status(sessionUrl, { headers: ADMIN_HEADERS })).toBe(503);

    // The live session goes on without the store.
    await talk(c, 'are you still there');

    await redis.restart();
    await waitStatus(`${gw}/readyz`, 200);
    // The refresh recreates the record lost with the old server.
    await waitStatus(sessionUrl, 200, { headers: ADMIN_HEADERS });
    const record = (await (await fetch(sessionUrl, { headers: ADMIN_HEADERS })).json()) as {
      node: string;
      tenant: string;
    };
    expect(record).toMatchObject({ node: 'outage-a', tenant: 'acme' });
    const del = await fetch(sessionUrl, { method: 'DELETE', headers: ADMIN_HEADERS });
    expect(del.status).toBe(202);
    expect((await c.closed).code).toBe(1000);

    const again = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
    clients.push(again);
    await again.log.waitFor('session.ready');
  });

  it('degraded mode admits new sessions while the store is down', async () => {
    redis = await startRedisServer();
    relay = await startOn(redis, 'outage-b', 'admit');
    const gw = relay.gatewayUrl ?? '';
    await waitStatus(`${gw}/readyz`, 200);
    await redis.stop();
    await until(async () => {
      const res = await fetch(`${gw}/readyz`);
      const b = (await res.json()) as { status?: string };
      return res.status === 200 && b.status === 'degraded' ? true : undefined;
    });
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    clients.push(c);
    const { sessionId } = await c.log.waitFor('session.ready');
    await talk(c, 'hello while the store is away');
    await redis.restart();
    await waitStatus(`${gw}/v1/sessions/${sessionId}`, 200, { headers: ADMIN_HEADERS });
  });
});
