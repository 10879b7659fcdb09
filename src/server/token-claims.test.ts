import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { mintToken, refusalOf } from '../testing/gateway-client.js';
import { startTestRelay, TEST_ADMIN_KEY, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/** With jwt.issuer and jwt.audience set, the gateway's own tokens pass the relay's checks. */
let relay: Relay;

beforeAll(async () => {
  relay = await startTestRelay({
    devTokens: true,
    jwt: { issuer: 'https://relay.test', audience: 'voice-relay' },
  });
});
afterAll(async () => {
  await relay?.close();
});

async function connectQuery(token: string): Promise<RelayClient> {
  const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token, via: 'query' });
  await c.log.waitFor('session.ready');
  return c;
}

describe('minted tokens carry the configured issuer and audience', () => {
  it('a dev token connects with ?token=', async () => {
    const res = await fetch(`${relay.gatewayUrl}/v1/tokens/dev`, { method: 'POST' });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    await (await connectQuery(token)).close();
  });

  it('a POST /v1/tokens token connects with ?token=', async () => {
    const token = await mintToken(relay.gatewayUrl ?? '', TEST_ADMIN_KEY, {
      tenant: 'acme',
      pipelines: ['sim'],
    });
    await (await connectQuery(token)).close();
  });

  it('a token without the issuer and audience is still refused', async () => {
    const refused = await refusalOf(
      RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token: await testToken() }),
    );
    expect(refused.status).toBe(401);
  });
});
