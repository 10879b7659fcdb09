import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Relay } from './relay.js';
import { relayConfigSchema } from './relay-config.js';
import { startTestRelay, wsUrl } from '../testing/relay-harness.js';

/** The limits a load test raises: dev tokens per IP and connections per credential. */
describe('load-test limits', () => {
  let relay: Relay | undefined;
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });

  it('defaults to 30 dev tokens per minute and 600 connects per minute', () => {
    const c = relayConfigSchema.parse({});
    expect(c.limits.devTokensPerMinute).toBe(30);
    expect(c.limits.connectsPerMinute).toBe(600);
  });

  it('rejects a non-positive dev-token rate, naming the field', () => {
    const r = relayConfigSchema.safeParse({ limits: { devTokensPerMinute: 0 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['limits.devTokensPerMinute']);
  });

  it('applies limits.devTokensPerMinute to POST /v1/tokens/dev', async () => {
    relay = await startTestRelay({ devTokens: true, limits: { devTokensPerMinute: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${relay.gatewayUrl ?? ''}/v1/tokens/dev`, { method: 'POST' });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('applies limits.connectsPerMinute to upgrades with one credential', async () => {
    relay = await startTestRelay({ devTokens: true, limits: { connectsPerMinute: 2 } });
    const res = await fetch(`${relay.gatewayUrl ?? ''}/v1/tokens/dev`, { method: 'POST' });
    const { token } = (await res.json()) as { token: string };
    const outcome = (): Promise<string> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${wsUrl(relay!)}/v1/sessions?pipeline=sim`, {
          headers: { authorization: `Bearer ${token}` },
        });
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (
            !isBinary &&
            (JSON.parse(data.toString()) as { type?: string }).type === 'session.ready'
          ) {
            ws.close(1000);
            resolve('ready');
          }
        });
        ws.on('unexpected-response', (_req, r) => {
          resolve(String(r.statusCode));
          r.resume();
          ws.terminate();
        });
        ws.on('error', () => undefined);
      });
    expect(await outcome()).toBe('ready');
    expect(await outcome()).toBe('ready');
    expect(await outcome()).toBe('429');
  });
});
