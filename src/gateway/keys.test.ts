import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../errors/index.js';
import { createGatewayFixture, type GatewayFixture } from './gateway-fixture.js';

interface KeyJson {
  keyId: string;
  tenant: string;
  scopes: string[];
  pipelines: string[] | '*';
  revoked: boolean;
  createdAtMs: number;
  maxSessions?: number;
  description?: string;
  key?: string;
  hash?: string;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof RelayError ? e.code : 'not-a-relay-error'),
  );
}

describe('gateway: API keys', () => {
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  async function create(f: GatewayFixture, payload: object): Promise<KeyJson> {
    const res = await f.app.inject({ method: 'POST', url: '/v1/keys', headers: f.admin, payload });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json<KeyJson>();
  }

  it('creates a key: plaintext once, record without hash, usable with the Authenticator', async () => {
    fx = await createGatewayFixture();
    const created = await create(fx, {
      tenant: 'acme',
      pipelines: ['default'],
      maxSessions: 5,
      description: 'call centre',
    });
    expect(created.key).toMatch(/^vr_[a-z0-9]+_[A-Za-z0-9_-]+$/);
    expect(created).toMatchObject({
      tenant: 'acme',
      scopes: ['session:create'],
      pipelines: ['default'],
      maxSessions: 5,
      description: 'call centre',
      revoked: false,
    });
    expect(created.hash).toBeUndefined();
    const principal = await fx.authenticator.authenticate(created.key!);
    expect(principal).toMatchObject({ tenant: 'acme', keyId: created.keyId });

    const one = await fx.app.inject({
      method: 'GET',
      url: `/v1/keys/${created.keyId}`,
      headers: fx.admin,
    });
    expect(one.statusCode).toBe(200);
    const record = one.json<KeyJson>();
    expect(record.keyId).toBe(created.keyId);
    expect(record.key).toBeUndefined();
    expect(record.hash).toBeUndefined();
    expect(one.body).not.toContain('sha256');
  });

  it('defaults: scopes session:create, all pipelines', async () => {
    fx = await createGatewayFixture();
    const created = await create(fx, { tenant: 'acme' });
    expect(created.scopes).toEqual(['session:create']);
    expect(created.pipelines).toBe('*');
  });

  it('refuses unknown scopes (no client key can carry "admin")', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: fx.admin,
      payload: { tenant: 'acme', scopes: ['admin'] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { details: { field: 'scopes.0' } } });
  });

  it('lists keys by tenant without hashes', async () => {
    fx = await createGatewayFixture();
    await create(fx, { tenant: 'acme' });
    await create(fx, { tenant: 'globex' });
    await create(fx, { tenant: 'acme' });
    const all = await fx.app.inject({ method: 'GET', url: '/v1/keys', headers: fx.admin });
    expect(all.json<{ keys: KeyJson[] }>().keys).toHaveLength(3);
    expect(all.body).not.toContain('sha256');
    expect(all.body).not.toContain('"key"');
    const acme = await fx.app.inject({
      method: 'GET',
      url: '/v1/keys?tenant=acme',
      headers: fx.admin,
    });
    const keys = acme.json<{ keys: KeyJson[] }>().keys;
    expect(keys.map((k) => k.tenant)).toEqual(['acme', 'acme']);
  });

  it('revoke makes the key fail authentication; delete removes it', async () => {
    fx = await createGatewayFixture();
    const created = await create(fx, { tenant: 'acme' });
    const revoked = await fx.app.inject({
      method: 'POST',
      url: `/v1/keys/${created.keyId}/revoke`,
      headers: fx.admin,
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json<KeyJson>().revoked).toBe(true);
    expect(await codeOf(fx.authenticator.authenticate(created.key!))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );

    const del = await fx.app.inject({
      method: 'DELETE',
      url: `/v1/keys/${created.keyId}`,
      headers: fx.admin,
    });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    const gone = await fx.app.inject({
      method: 'GET',
      url: `/v1/keys/${created.keyId}`,
      headers: fx.admin,
    });
    expect(gone.statusCode).toBe(404);
  });

  it('unknown key ids are 404 on get, revoke and delete', async () => {
    fx = await createGatewayFixture();
    for (const [method, url] of [
      ['GET', '/v1/keys/0123456789abcdef'],
      ['POST', '/v1/keys/0123456789abcdef/revoke'],
      ['DELETE', '/v1/keys/0123456789abcdef'],
    ] as const) {
      const res = await fx.app.inject({ method, url, headers: fx.admin });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'RELAY_ERR_NOT_FOUND' } });
    }
  });
});
