import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey, mintClientToken } from '../auth/index.js';
import {
  createGatewayFixture,
  PEPPER,
  TOKEN_SECRET,
  type GatewayFixture,
} from './gateway-fixture.js';

interface ErrorJson {
  error: { code: string; message: string };
}

describe('gateway: admin auth', () => {
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  async function get(headers: Record<string, string> = {}) {
    return fx!.app.inject({ method: 'GET', url: '/v1/sessions', headers });
  }

  it('accepts the admin key', async () => {
    fx = await createGatewayFixture();
    const res = await get(fx.admin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sessions: [] });
  });

  it('missing, wrong and malformed credentials are 401 with one message', async () => {
    fx = await createGatewayFixture();
    const answers = [
      await get(),
      await get({ authorization: `Bearer vra_${'x'.repeat(43)}` }),
      await get({ authorization: `Basic ${fx.adminKey}` }),
      await get({ authorization: `Bearer ${fx.adminKey}x` }),
    ];
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: { code: 'RELAY_ERR_UNAUTHENTICATED', message: 'admin credentials required' },
      });
    }
  });

  it('never accepts a client credential (API key or JWT) on an admin route', async () => {
    fx = await createGatewayFixture();
    const { key, record } = generateApiKey({
      tenant: 'acme',
      scopes: ['session:create', 'token:create'],
      pipelines: '*',
      pepper: PEPPER,
    });
    await fx.store.putApiKey(record);
    expect((await fx.authenticator.authenticate(key)).tenant).toBe('acme');
    const { token } = await mintClientToken({
      secret: TOKEN_SECRET,
      tenant: 'acme',
      subject: 'u1',
      pipelines: '*',
      scopes: ['session:create', 'token:create'],
      ttlSec: 60,
    });
    for (const credential of [key, token]) {
      const res = await get({ authorization: `Bearer ${credential}` });
      expect(res.statusCode).toBe(401);
      expect(res.json<ErrorJson>().error.message).toBe('admin credentials required');
    }
  });

  it('the admin key is not taken from the query string', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({
      method: 'GET',
      url: `/v1/sessions?token=${encodeURIComponent(fx.adminKey)}`,
    });
    expect(res.statusCode).toBe(401);
  });

  it('auth is checked before the body is validated', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({ method: 'POST', url: '/v1/keys', payload: { nope: 1 } });
    expect(res.statusCode).toBe(401);
  });

  it('rate-limits failed attempts per IP with 429 and Retry-After, even for the right key', async () => {
    fx = await createGatewayFixture({ authFailureLimit: { limit: 3, windowMs: 60_000 } });
    const wrong = { authorization: `Bearer vra_${'y'.repeat(43)}` };
    for (let i = 0; i < 3; i++) {
      expect((await get(wrong)).statusCode).toBe(401);
    }
    const limited = await get(wrong);
    expect(limited.statusCode).toBe(429);
    expect(limited.json<ErrorJson>().error.code).toBe('RELAY_ERR_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get(fx.admin)).statusCode).toBe(429);
    // Another client address is not affected.
    const other = await fx.app.inject({
      method: 'GET',
      url: '/v1/sessions',
      headers: fx.admin,
      remoteAddress: '10.0.0.9',
    });
    expect(other.statusCode).toBe(200);
  });

  it('the limiter can be switched off', async () => {
    fx = await createGatewayFixture({ authFailureLimit: false });
    for (let i = 0; i < 30; i++) {
      expect((await get()).statusCode).toBe(401);
    }
    expect((await get(fx.admin)).statusCode).toBe(200);
  });
});
