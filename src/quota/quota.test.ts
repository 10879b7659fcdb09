import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/pipelines.js';
import { loadRelayConfig } from '../server/relay-config.js';
import { RelayClient } from '../client/relay-client.js';
import type { Relay } from '../server/relay.js';
import { startRedisServer } from '../state/redis-harness.js';
import type { TenantUsage } from '../state/tenant-usage.js';
import { until } from '../testing/gateway-client.js';
import { TEST_ADMIN_KEY, startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';

const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

async function usage(relay: Relay, tenant: string): Promise<TenantUsage> {
  const res = await fetch(`${relay.gatewayUrl ?? ''}/v1/tenants/${tenant}/usage`, {
    headers: admin,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as TenantUsage;
}

async function client(relay: Relay, tenant: string): Promise<RelayClient> {
  const c = await RelayClient.connect({
    url: wsUrl(relay),
    pipeline: 'sim',
    token: await testToken({ tenant }),
  });
  await c.log.waitFor('session.ready');
  return c;
}

/** One typed turn; resolves with its tokens once its turn.metrics arrived. */
async function turn(c: RelayClient, text: string, nth: number): Promise<number> {
  c.sendEvent({ type: 'input.text', text });
  const m = await c.log.waitFor('turn.metrics', () => true, 15_000, nth);
  return m.promptTokens + m.completionTokens;
}

async function metric(relay: Relay, line: RegExp): Promise<number> {
  const text = await (await fetch(`${relay.gatewayUrl ?? ''}/metrics`)).text();
  const hit = text.split('\n').find((l) => line.test(l));
  return hit === undefined ? 0 : Number(hit.split(' ').at(-1));
}

describe('tenant quotas across two relays sharing one redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let a: Relay;
  let b: Relay;
  // Day windows: a minute window could roll over during the test.
  const quotas = {
    refreshMs: 1_000,
    tenants: { fleet: { action: 'refuse-turns' as const, llmTokensPerDay: 60 } },
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    a = await startTestRelay({ redisUrl: redis.url, nodeId: 'quota-a', quotas });
    b = await startTestRelay({ redisUrl: redis.url, nodeId: 'quota-b', quotas });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it("enforces one tenant's LLM token quota over both relays", async () => {
    const ca = await client(a, 'fleet');
    const cb = await client(b, 'fleet');
    // Relay A uses part of the quota; both gateways see the fleet total.
    const first = await turn(ca, 'one two three four five', 1);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(60);
    await until(async () =>
      (await usage(b, 'fleet')).usage.llm_tokens.day.used === first ? true : undefined,
    );
    // Relay B still has room: its turn is answered.
    const second = await turn(cb, 'one two three four five', 1);
    expect(first + second).toBeLessThan(60);
    // A's next turn (a longer history) crosses the limit: it still finishes its reply.
    const third = await turn(ca, 'six seven eight nine ten', 2);
    expect(first + second + third).toBeGreaterThanOrEqual(60);
    expect(ca.log.of('response.done').length).toBe(2);
    const crossed = await until(async () => {
      const u = await usage(a, 'fleet');
      return u.exceeded === undefined ? undefined : u;
    });
    expect(crossed).toMatchObject({
      tenant: 'fleet',
      action: 'refuse-turns',
      exceeded: { resource: 'llm_tokens', window: 'day', limit: 60 },
    });
    expect(crossed.usage.llm_tokens.day).toMatchObject({ used: first + second + third, limit: 60 });
    // Relay B refuses the next turn: a clear error, no reply started, the session stays open.
    cb.sendEvent({ type: 'input.text', text: 'are you there' });
    const refused = await cb.log.waitFor('error');
    expect(refused.code).toBe('RELAY_ERR_QUOTA_EXCEEDED');
    expect(refused.message).toContain('llm_tokens per day');
    const final = await cb.log.waitFor('transcript.final', () => true, 15_000, 2);
    expect(refused.turnId).toBe(final.turnId);
    expect(cb.log.of('response.started').length).toBe(1);
    expect(
      await metric(b, /^relay_quota_refusals_total\{.*tenant="fleet".*action="refuse-turns"/),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await metric(a, /^relay_quota_usage_total\{tenant="fleet",resource="llm_tokens"\}/),
    ).toBe(first + third);
    // A tenant without quotas is unaffected and reported unlimited.
    const free = await usage(a, 'somebody-else');
    expect(free.action).toBe('none');
    expect(free.usage.llm_tokens.day.limit).toBeUndefined();
    await ca.close();
    await cb.close();
  });
});

describe('tenant quotas on one relay (memory store)', () => {
  let relay: Relay;

  beforeAll(async () => {
    relay = await startTestRelay({
      nodeId: 'quota-mem',
      quotas: {
        refreshMs: 1_000,
        tenants: {
          speaker: { action: 'refuse-turns', ttsCharsPerDay: 10 },
          ender: { action: 'end-session', llmTokensPerDay: 5 },
        },
      },
    });
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('refuses new turns once TTS characters are used up; the crossing reply finishes', async () => {
    const c = await client(relay, 'speaker');
    await turn(c, 'a reply well over ten characters long', 1);
    expect(c.log.of('response.done').length).toBe(1);
    const u = await until(async () => {
      const r = await usage(relay, 'speaker');
      return r.exceeded === undefined ? undefined : r;
    });
    expect(u.exceeded).toMatchObject({ resource: 'tts_chars', window: 'day', limit: 10 });
    expect(u.usage.tts_chars.day.used).toBeGreaterThanOrEqual(10);
    c.sendEvent({ type: 'input.text', text: 'again' });
    expect((await c.log.waitFor('error')).code).toBe('RELAY_ERR_QUOTA_EXCEEDED');
    c.sendEvent({ type: 'input.text', text: 'and again' });
    expect((await c.log.waitFor('error', () => true, 15_000, 2)).code).toBe(
      'RELAY_ERR_QUOTA_EXCEEDED',
    );
    expect(c.log.of('response.started').length).toBe(1);
    expect(c.log.of('session.closing').length).toBe(0);
    await c.close();
  });

  it('ends the session with close code 4029 under action end-session', async () => {
    const c = await client(relay, 'ender');
    // The first turn crosses 5 tokens: its reply is not cut.
    await turn(c, 'hello there', 1);
    expect(c.log.of('response.done').length).toBe(1);
    await until(async () => ((await usage(relay, 'ender')).exceeded === undefined ? undefined : 1));
    c.sendEvent({ type: 'input.text', text: 'more please' });
    expect((await c.log.waitFor('error')).code).toBe('RELAY_ERR_QUOTA_EXCEEDED');
    const closing = await c.log.waitFor('session.closing');
    expect(closing.code).toBe(4029);
    expect((await c.closed).code).toBe(4029);
    // A new session of the tenant is admitted, and its first turn refused the same way.
    const again = await client(relay, 'ender');
    again.sendEvent({ type: 'input.text', text: 'hello' });
    expect((await again.log.waitFor('error')).code).toBe('RELAY_ERR_QUOTA_EXCEEDED');
    expect((await again.closed).code).toBe(4029);
  });
});

describe('quota configuration', () => {
  it('reads quotas from the relay config; a bad field is named with its file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vr-quota-'));
    try {
      const good = join(dir, 'good.yaml');
      await writeFile(
        good,
        'quotas:\n  tenants:\n    acme: { llmTokensPerMinute: 100, action: end-session }\n',
      );
      const config = loadRelayConfig(['--config', good], {});
      expect(config.quotas?.tenants['acme']).toMatchObject({
        action: 'end-session',
        llmTokensPerMinute: 100,
      });
      expect(config.quotas?.refreshMs).toBe(1_000);
      for (const [yaml, field] of [
        [
          'quotas:\n  tenants:\n    acme: { llmTokensPerMinute: -5 }\n',
          'quotas.tenants.acme.llmTokensPerMinute',
        ],
        ['quotas:\n  tenants:\n    acme: { action: warn }\n', 'quotas.tenants.acme.action'],
        [
          'quotas:\n  tenants:\n    acme: { llmTokensPerHour: 5 }\n',
          'quotas.tenants.acme.llmTokensPerHour',
        ],
      ] as const) {
        const bad = join(dir, 'bad.yaml');
        await writeFile(bad, yaml);
        expect(() => loadRelayConfig(['--config', bad], {})).toThrow(
          expect.objectContaining({
            name: ConfigError.name,
            problems: [expect.objectContaining({ file: bad, field })],
          }),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
