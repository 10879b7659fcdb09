import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startRedisServer, type RedisServerHandle } from '../state/redis-harness.js';
import { createApiKey, mintToken, refusalOf } from '../testing/gateway-client.js';
import { startTestRelay, TEST_ADMIN_KEY, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/**
 * Per-credential limits bind to the credential that minted a token (the API key, else
 * the tenant), never to the subject the minting caller picks, and hold across two
 * relays that share one redis-server.
 */
let redis: RedisServerHandle;
let a: Relay;
let b: Relay;
const open: RelayClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  const limits = { connectsPerMinute: 4 };
  a = await startTestRelay({ redisUrl: redis.url, nodeId: 'lim-a', limits });
  b = await startTestRelay({ redisUrl: redis.url, nodeId: 'lim-b', limits });
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await a?.close();
  await b?.close();
  await redis?.stop();
});

async function connect(relay: Relay, token: string): Promise<RelayClient> {
  const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
  open.push(c);
  await c.log.waitFor('session.ready');
  return c;
}

const SCOPES = ['session:create', 'token:create'];

describe('per-credential limits', () => {
  it('tokens minted by one API key share its maxSessions, whatever their subjects', async () => {
    const gw = a.gatewayUrl ?? '';
    const { key } = await createApiKey(gw, { tenant: 'acme', scopes: SCOPES, maxSessions: 2 });
    const tokens = await Promise.all(
      ['s1', 's2', 's3'].map((subject) => mintToken(gw, key, { pipelines: '*', subject })),
    );
    await connect(a, tokens[0] ?? '');
    await connect(b, tokens[1] ?? '');
    const third = await refusalOf(
      RelayClient.connect({ url: wsUrl(a), pipeline: 'sim', token: tokens[2] ?? '' }),
    );
    expect(third.status).toBe(429);
    const direct = await refusalOf(
      RelayClient.connect({ url: wsUrl(b), pipeline: 'sim', token: key }),
    );
    expect(direct.status).toBe(429);
  });

  it('the connection rate binds to the minting key across both relays', async () => {
    const gw = b.gatewayUrl ?? '';
    const { key } = await createApiKey(gw, { tenant: 'acme', scopes: SCOPES });
    const subjects = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const tokens = await Promise.all(
      subjects.map((subject) => mintToken(gw, key, { pipelines: '*', subject })),
    );
    for (const [i, token] of tokens.slice(0, 4).entries()) {
      const c = await connect(i % 2 === 0 ? a : b, token);
      await c.close();
    }
    const fifth = await RelayClient.connect({
      url: wsUrl(a),
      pipeline: 'sim',
      token: tokens[4] ?? '',
    }).then(
      () => undefined,
      (e: { status?: number; body?: { error?: { message?: string } } }) => e,
    );
    expect(fifth?.status).toBe(429);
    expect(fifth?.body?.error?.message).toContain('connection rate');
  });

  it('admin-minted tokens without a key share the tenant limit', async () => {
    const gw = a.gatewayUrl ?? '';
    const mint = (subject: string): Promise<string> =>
      mintToken(gw, TEST_ADMIN_KEY, { tenant: 'solo', pipelines: '*', subject, maxSessions: 1 });
    await connect(a, await mint('x'));
    const second = await refusalOf(
      RelayClient.connect({ url: wsUrl(b), pipeline: 'sim', token: await mint('y') }),
    );
    expect(second.status).toBe(429);
  });
});
