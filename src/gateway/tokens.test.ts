import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey, mintClientToken, type GenerateApiKeyOptions } from '../auth/index.js';
import {
  createGatewayFixture,
  PEPPER,
  TOKEN_SECRET,
  type GatewayFixture,
} from './gateway-fixture.js';

interface MintedJson {
  token: string;
  expiresAtMs: number;
  tenant: string;
  pipelines: string[] | '*';
  scopes: string[];
}

interface ErrorJson {
  error: { code: string; message: string };
}

const DEV = { tenant: 'demo', pipelines: ['default'] };

describe('gateway: client tokens', () => {
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  async function apiKey(
    f: GatewayFixture,
    options: Partial<GenerateApiKeyOptions> = {},
  ): Promise<string> {
    const { key, record } = generateApiKey({
      tenant: 'acme',
      scopes: ['session:create', 'token:create'],
      pipelines: ['default'],
      pepper: PEPPER,
      ...options,
    });
    await f.store.putApiKey(record);
    return key;
  }

  async function mint(f: GatewayFixture, credential: string | undefined, payload: object) {
    return f.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: credential === undefined ? {} : { authorization: `Bearer ${credential}` },
      payload,
    });
  }

  it('an admin mints a token for any tenant; it verifies as a ?token= client token', async () => {
    fx = await createGatewayFixture();
    const before = Date.now();
    const res = await mint(fx, fx.adminKey, { tenant: 'globex', pipelines: ['support'] });
    const after = Date.now();
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<MintedJson>();
    expect(body).toMatchObject({
      tenant: 'globex',
      pipelines: ['support'],
      scopes: ['session:create'],
    });
    // Default lifetime 300 s.
    expect(body.expiresAtMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 300_000);
    // Minted between `before` and `after`, however long the request took.
    expect(body.expiresAtMs).toBeLessThanOrEqual(after + 300_000);
    const principal = await fx.authenticator.authenticate(body.token, { source: 'query' });
    expect(principal).toMatchObject({
      kind: 'jwt',
      tenant: 'globex',
      pipelines: ['support'],
      scopes: ['session:create'],
    });
  });

  it('admin callers must name the tenant; ttl is bounded', async () => {
    fx = await createGatewayFixture({ tokens: { secret: TOKEN_SECRET, maxTtlSec: 600 } });
    const noTenant = await mint(fx, fx.adminKey, { pipelines: ['default'] });
    expect(noTenant.statusCode).toBe(400);
    expect(noTenant.json<ErrorJson>().error.message).toContain('tenant');
    const tooLong = await mint(fx, fx.adminKey, {
      tenant: 't',
      pipelines: ['default'],
      ttlSec: 601,
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ error: { details: { field: 'ttlSec', max: 600 } } });
    const overCap = await mint(fx, fx.adminKey, {
      tenant: 't',
      pipelines: ['default'],
      ttlSec: 3601,
    });
    expect(overCap.statusCode).toBe(400);
    const unknown = await mint(fx, fx.adminKey, { tenant: 't', pipelines: ['nope'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: { details: { pipeline: 'nope' } } });
  });

  it('a client with token:create mints within its grant and tenant', async () => {
    fx = await createGatewayFixture();
    const key = await apiKey(fx, { maxSessions: 3 });
    const res = await mint(fx, key, { pipelines: ['default'], ttlSec: 120 });
    expect(res.statusCode).toBe(200);
    const body = res.json<MintedJson>();
    expect(body.tenant).toBe('acme');
    const principal = await fx.authenticator.authenticate(body.token, { source: 'query' });
    expect(principal).toMatchObject({
      tenant: 'acme',
      pipelines: ['default'],
      limits: { maxSessions: 3 },
    });
    expect(principal.subject).toMatch(/^key:/);
  });

  it('a client without token:create is 403', async () => {
    fx = await createGatewayFixture();
    const key = await apiKey(fx, { scopes: ['session:create'] });
    const res = await mint(fx, key, { pipelines: ['default'] });
    expect(res.statusCode).toBe(403);
    expect(res.json<ErrorJson>().error.code).toBe('RELAY_ERR_FORBIDDEN');
  });

  it('grant escalation is 403: pipelines, "*", scopes, session limit, other tenant', async () => {
    fx = await createGatewayFixture();
    const key = await apiKey(fx, { scopes: ['token:create'], maxSessions: 3 });
    const attempts = [
      { pipelines: ['support'], scopes: ['token:create'] },
      { pipelines: '*', scopes: ['token:create'] },
      { pipelines: ['default'], scopes: ['session:create'] },
      { pipelines: ['default'], scopes: ['token:create'], maxSessions: 10 },
      { tenant: 'globex', pipelines: ['default'], scopes: ['token:create'] },
    ];
    for (const payload of attempts) {
      const res = await mint(fx, key, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(403);
      expect(res.json<ErrorJson>().error.code).toBe('RELAY_ERR_FORBIDDEN');
    }
    const ok = await mint(fx, key, { pipelines: ['default'], scopes: ['token:create'] });
    expect(ok.statusCode).toBe(200);
  });

  it('a JWT caller with token:create is accepted and the minted token never outlives it', async () => {
    fx = await createGatewayFixture();
    const caller = await mintClientToken({
      secret: TOKEN_SECRET,
      tenant: 'acme',
      subject: 'backend',
      pipelines: '*',
      scopes: ['session:create', 'token:create'],
      ttlSec: 60,
    });
    const res = await mint(fx, caller.token, { pipelines: ['default'], ttlSec: 600 });
    expect(res.statusCode).toBe(200);
    expect(res.json<MintedJson>().expiresAtMs).toBeLessThanOrEqual(caller.expiresAtMs);
  });

  it('missing or invalid credentials are 401; revoked keys too', async () => {
    fx = await createGatewayFixture();
    expect((await mint(fx, undefined, { pipelines: ['default'] })).statusCode).toBe(401);
    expect((await mint(fx, `vra_${'z'.repeat(43)}`, { pipelines: ['default'] })).statusCode).toBe(
      401,
    );
    const key = await apiKey(fx);
    const keyId = key.split('_')[1]!;
    await fx.store.revokeApiKey(keyId);
    expect((await mint(fx, key, { pipelines: ['default'] })).statusCode).toBe(401);
  });

  it('without an authenticator only admins can mint', async () => {
    fx = await createGatewayFixture({ authenticator: undefined });
    const key = await apiKey(fx);
    expect((await mint(fx, key, { pipelines: ['default'] })).statusCode).toBe(401);
    expect((await mint(fx, fx.adminKey, { tenant: 'a', pipelines: ['default'] })).statusCode).toBe(
      200,
    );
  });

  it('answers 501 RELAY_ERR_CONFIG when token minting is not configured', async () => {
    fx = await createGatewayFixture({ tokens: undefined });
    const res = await mint(fx, fx.adminKey, { tenant: 'a', pipelines: ['default'] });
    expect(res.statusCode).toBe(501);
    expect(res.json<ErrorJson>().error.code).toBe('RELAY_ERR_CONFIG');
  });

  it('refuses a weak secret or a bad dev config at build time', async () => {
    await expect(createGatewayFixture({ tokens: { secret: 'short' } })).rejects.toMatchObject({
      code: 'RELAY_ERR_CONFIG',
    });
    await expect(
      createGatewayFixture({
        tokens: { secret: TOKEN_SECRET, devMode: { tenant: 'demo', pipelines: ['*'] } },
      }),
    ).rejects.toMatchObject({ code: 'RELAY_ERR_CONFIG' });
  });

  it('dev mode: the route is absent by default', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({ method: 'POST', url: '/v1/tokens/dev' });
    expect(res.statusCode).toBe(404);
  });

  it('dev mode: mints without credentials for the dev tenant and pipelines only', async () => {
    fx = await createGatewayFixture({ tokens: { secret: TOKEN_SECRET, devMode: DEV } });
    const res = await fx.app.inject({ method: 'POST', url: '/v1/tokens/dev' });
    expect(res.statusCode).toBe(200);
    const body = res.json<MintedJson>();
    expect(body).toMatchObject({
      tenant: 'demo',
      pipelines: ['default'],
      scopes: ['session:create'],
    });
    const principal = await fx.authenticator.authenticate(body.token, { source: 'query' });
    expect(principal).toMatchObject({
      tenant: 'demo',
      pipelines: ['default'],
      scopes: ['session:create'],
    });
    // The dev route takes no grant from the caller.
    const widened = await fx.app.inject({
      method: 'POST',
      url: '/v1/tokens/dev',
      payload: { tenant: 'acme', pipelines: '*' },
    });
    expect(widened.statusCode).toBe(200);
    expect(widened.json<MintedJson>()).toMatchObject({ tenant: 'demo', pipelines: ['default'] });
  });

  it('dev mode: rate-limited per IP', async () => {
    fx = await createGatewayFixture({
      tokens: { secret: TOKEN_SECRET, devMode: DEV },
      devTokenRatePerMin: 2,
    });
    for (let i = 0; i < 2; i++) {
      expect((await fx.app.inject({ method: 'POST', url: '/v1/tokens/dev' })).statusCode).toBe(200);
    }
    const limited = await fx.app.inject({ method: 'POST', url: '/v1/tokens/dev' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });
});
