import { describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { TEST_ADMIN_KEY, startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';

const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

describe('roles and the session registry', () => {
  it('--role gateway runs only the gateway, --role media only the media listener', async () => {
    const gw = await startTestRelay({ role: 'gateway' });
    const media = await startTestRelay({ role: 'media' });
    try {
      expect(gw.mediaAddress).toBeUndefined();
      expect((await fetch(`${gw.gatewayUrl}/healthz`)).status).toBe(200);
      expect(media.gatewayUrl).toBeUndefined();
      expect(media.mediaAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      await gw.close();
      await media.close();
    }
  });

  it('GET /v1/sessions/:id shows the state, jitter stats and the last turns’ waterfalls', async () => {
    const relay = await startTestRelay();
    try {
      const c = await RelayClient.connect({
        url: wsUrl(relay),
        pipeline: 'sim',
        token: await testToken(),
      });
      const ready = await c.log.waitFor('session.ready');
      c.sendEvent({ type: 'input.text', text: 'hello' });
      await c.log.waitFor('turn.metrics');
      const deadline = Date.now() + 5_000;
      let body: {
        state?: string;
        info?: { jitter?: unknown; pipeline?: { lastTurns?: unknown[] } };
      } = {};
      while (Date.now() < deadline) {
        body = (await (
          await fetch(`${relay.gatewayUrl}/v1/sessions/${ready.sessionId}`, { headers: admin })
        ).json()) as typeof body;
        if ((body.info?.pipeline?.lastTurns?.length ?? 0) > 0) {
          break;
        }
        await new Promise<void>((r) => setTimeout(r, 20));
      }
      expect(body.state).toBe('open');
      expect(body.info?.jitter).toBeDefined();
      expect(body.info?.pipeline?.lastTurns).toHaveLength(1);
      await c.close();
    } finally {
      await relay.close();
    }
  });
});
