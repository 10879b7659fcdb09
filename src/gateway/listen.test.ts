import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayFixture, type GatewayFixture } from './gateway-fixture.js';
import { startGateway, type RunningGateway } from './listen.js';

describe('gateway: real listener', () => {
  let fx: GatewayFixture | undefined;
  let running: RunningGateway | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await fx?.close();
    fx = undefined;
  });

  it('serves health, admin routes and errors over HTTP on 127.0.0.1:0', async () => {
    fx = await createGatewayFixture();
    running = await startGateway(fx.deps, { host: '127.0.0.1', port: 0 });
    expect(running.port).toBeGreaterThan(0);
    expect(running.address).toBe(`http://127.0.0.1:${running.port}`);

    const health = await fetch(`${running.address}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const anon = await fetch(`${running.address}/v1/keys`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await anon.json()).toMatchObject({ error: { code: 'RELAY_ERR_UNAUTHENTICATED' } });

    const created = await fetch(`${running.address}/v1/keys`, {
      method: 'POST',
      headers: { ...fx.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme' }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    expect((await fx.authenticator.authenticate(key)).tenant).toBe('acme');

    const metrics = await fetch(`${running.address}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('relay_sessions_active');

    const address = running.address;
    await running.close();
    running = undefined;
    await expect(fetch(`${address}/healthz`)).rejects.toThrow();
  });
});
