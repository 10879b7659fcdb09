import { describe, expect, it } from 'vitest';
import { RelayClient, UpgradeRefused } from '../client/relay-client.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';

describe('graceful drain', () => {
  it('refuses new upgrades with 503, lets the current reply finish, then closes with 1001', async () => {
    const relay = await startTestRelay({ drainGraceMs: 10_000 });
    try {
      const token = await testToken();
      const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
      await c.log.waitFor('session.ready');
      c.sendEvent({ type: 'input.text', text: 'tell me something before you go' });
      await c.log.waitFor('response.started');
      const drained = relay.drain(10_000);
      const closing = await c.log.waitFor('session.closing');
      expect(closing).toMatchObject({ code: 1001 });
      const ready = await fetch(`${relay.gatewayUrl}/readyz`);
      expect(ready.status).toBe(503);
      const refused = await RelayClient.connect({
        url: wsUrl(relay),
        pipeline: 'sim',
        token,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(UpgradeRefused);
      expect((refused as UpgradeRefused).status).toBe(503);
      // The reply in progress is finished before the close.
      await c.log.waitFor('response.done');
      expect((await c.closed).code).toBe(1001);
      await drained;
      expect(relay.sessions?.size).toBe(0);
    } finally {
      await relay.close();
    }
  });
});
