import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { abandonedUpgrade, rawUpgradeStatus } from '../testing/raw-upgrade.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import { until } from '../transports/telephony/bridge/test-support/telephony-relay.js';
import type { Relay } from './relay.js';

let relay: Relay;
beforeAll(async () => {
  // One session per credential: a slot left behind by a failed upgrade blocks the next.
  relay = await startTestRelay({ limits: { maxSessionsPerKey: 1 } });
});
afterAll(async () => {
  await relay.close();
});

const admitting = (): number => relay.sessions?.admitting ?? -1;
const live = (): number => relay.sessions?.size ?? -1;

describe('WS admission never leaks a slot', () => {
  it('a handshake ws refuses after admission (bad key) gives the slots back', async () => {
    const token = await testToken({ subject: 'leak-key' });
    const status = await rawUpgradeStatus({
      address: relay.mediaAddress ?? '',
      path: '/v1/sessions?pipeline=sim',
      headers: { authorization: `Bearer ${token}` },
      key: 'not-a-websocket-key',
    });
    expect(status).toBe(400);
    await until(() => admitting() === 0, 10_000, 'admission released');
    // The per-credential slot is free too: the same credential connects again.
    const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
    await c.log.waitFor('session.ready');
    await c.close();
    await until(() => live() === 0, 10_000, 'session ended');
  });

  it('a client that leaves during the upgrade holds nothing', async () => {
    const token = await testToken({ subject: 'leak-early' });
    for (let i = 0; i < 5; i++) {
      await abandonedUpgrade({
        address: relay.mediaAddress ?? '',
        path: '/v1/sessions?pipeline=sim',
        headers: { authorization: `Bearer ${token}` },
      });
    }
    await until(() => admitting() === 0 && live() === 0, 10_000, 'nothing held');
    const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
    await c.log.waitFor('session.ready');
    await c.close();
  });
});
