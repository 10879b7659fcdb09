import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/index.js';
import { createGatewayFixture, type GatewayFixture } from './gateway-fixture.js';

function capture(): {
  stream: Writable;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines, text };
}

describe('gateway: request logging', () => {
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('logs one debug line per request and never credentials, keys or tokens', async () => {
    const out = capture();
    fx = await createGatewayFixture({ logger: createLogger({ level: 'debug' }, out.stream) });
    const created = await fx.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: fx.admin,
      payload: { tenant: 'acme', scopes: ['session:create', 'token:create'] },
    });
    const { key } = created.json<{ key: string }>();
    const minted = await fx.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${key}` },
      payload: { pipelines: ['default'] },
    });
    const { token } = minted.json<{ token: string }>();
    await fx.app.inject({ method: 'GET', url: `/v1/sessions?token=${token}` });
    await fx.app.inject({ method: 'GET', url: `/nowhere?token=${token}` });

    const requests = out.lines().filter((l) => l['msg'] === 'gateway request');
    expect(requests).toHaveLength(4);
    expect(requests[0]).toMatchObject({
      level: 20,
      module: 'gateway',
      method: 'POST',
      route: '/v1/keys',
      status: 201,
    });
    expect(typeof requests[0]!['durationMs']).toBe('number');
    expect(requests[2]).toMatchObject({ route: '/v1/sessions', status: 401 });
    expect(requests[3]).toMatchObject({ route: '/nowhere', status: 404 });
    const all = out.text();
    for (const secret of [fx.adminKey, key, token, key.split('_')[2]!]) {
      expect(all).not.toContain(secret);
    }
  });
});
