import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayFixture, type GatewayFixture } from './gateway-fixture.js';

interface ErrorJson {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

describe('gateway: health, metrics, openapi, error shape', () => {
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('GET /healthz is 200 without auth', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /readyz follows ready()', async () => {
    let ready = false;
    fx = await createGatewayFixture({ ready: () => ready });
    const down = await fx.app.inject({ method: 'GET', url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json<ErrorJson>().error.code).toBe('RELAY_ERR_DRAINING');
    ready = true;
    const up = await fx.app.inject({ method: 'GET', url: '/readyz' });
    expect(up.statusCode).toBe(200);
  });

  it('GET /metrics serves the registry in Prometheus text format without auth', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(fx.registry.contentType);
    expect(res.body).toContain('# TYPE relay_sessions_active gauge');
    expect(res.body.startsWith('"')).toBe(false);
  });

  it('metricsAuth puts /metrics behind admin auth', async () => {
    fx = await createGatewayFixture({ metricsAuth: true });
    const anon = await fx.app.inject({ method: 'GET', url: '/metrics' });
    expect(anon.statusCode).toBe(401);
    const ok = await fx.app.inject({ method: 'GET', url: '/metrics', headers: fx.admin });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('relay_sessions_active');
  });

  it('GET /openapi.json is an OpenAPI 3.0.3 document listing the routes', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, { scheme?: string }>; schemas: object };
    }>();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info.title).toBe('voice-relay management API');
    expect(doc.components.securitySchemes['bearer']?.scheme).toBe('bearer');
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['ErrorResponse', 'SessionRecord', 'ApiKey']),
    );
    for (const path of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/v1/sessions',
      '/v1/sessions/{id}',
      '/v1/pipelines',
      '/v1/pipelines/{name}',
      '/v1/pipelines/reload',
      '/v1/keys',
      '/v1/keys/{keyId}',
      '/v1/keys/{keyId}/revoke',
      '/v1/tokens',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/v1/sessions/{id}']?.['delete']?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/healthz']?.['get']?.security).toEqual([]); // public: explicitly none
    expect(doc.paths).not.toHaveProperty(['/openapi.json']);
    expect(doc.paths).not.toHaveProperty(['/v1/tokens/dev']);
  });

  it('unknown routes answer 404 with the error body', async () => {
    fx = await createGatewayFixture();
    for (const url of ['/nope', '/v1/nope']) {
      const res = await fx.app.inject({ method: 'GET', url, headers: fx.admin });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        error: { code: 'RELAY_ERR_NOT_FOUND', message: 'route not found' },
      });
    }
  });

  it('validation errors are 400 RELAY_ERR_BAD_REQUEST naming the field', async () => {
    fx = await createGatewayFixture();
    const missing = await fx.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: fx.admin,
      payload: { scopes: ['session:create'] },
    });
    expect(missing.statusCode).toBe(400);
    const m = missing.json<ErrorJson>();
    expect(m.error.code).toBe('RELAY_ERR_BAD_REQUEST');
    expect(m.error.message).toContain('body.tenant');
    expect(m.error.details).toMatchObject({ in: 'body', field: 'tenant' });

    const wrongType = await fx.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: fx.admin,
      payload: { tenant: 'acme', maxSessions: 0 },
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json<ErrorJson>().error.details).toMatchObject({ field: 'maxSessions' });

    const unknown = await fx.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: fx.admin,
      payload: { tenant: 'acme', scope: ['session:create'] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<ErrorJson>().error.message).toBe('body.scope: unknown field');
  });

  it('malformed JSON is 400 and oversized bodies are 413, both with the error body', async () => {
    fx = await createGatewayFixture();
    const bad = await fx.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { ...fx.admin, 'content-type': 'application/json' },
      payload: '{"tenant":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorJson>().error.code).toBe('RELAY_ERR_BAD_REQUEST');
    const big = await fx.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { ...fx.admin, 'content-type': 'application/json' },
      payload: JSON.stringify({ tenant: 'acme', description: 'x'.repeat(70_000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json<ErrorJson>().error.code).toBe('RELAY_ERR_PAYLOAD_TOO_LARGE');
  });

  it('internal failures are 500 without leaking the cause', async () => {
    fx = await createGatewayFixture();
    fx.store.listSessions = () => Promise.reject(new Error('secret internal detail'));
    const res = await fx.app.inject({ method: 'GET', url: '/v1/sessions', headers: fx.admin });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: { code: 'RELAY_ERR_INTERNAL', message: 'internal error' },
    });
  });
});
