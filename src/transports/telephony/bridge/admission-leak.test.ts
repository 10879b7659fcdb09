import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abandonedUpgrade, rawUpgradeStatus } from '../../../testing/raw-upgrade.js';
import { startCarrierEnv, type CarrierEnv } from './test-support/call-scenario.js';
import { until } from './test-support/telephony-relay.js';

let env: CarrierEnv;
beforeAll(async () => {
  env = await startCarrierEnv();
});
afterAll(async () => {
  await env.relay.close();
});

const admitting = (): number => env.relay.relay.sessions?.admitting ?? -1;
const live = (): number => env.relay.relay.sessions?.size ?? -1;

describe('carrier admission never leaks a slot', () => {
  it('a path-token upgrade ws refuses after admission, or abandoned midway, holds nothing', async () => {
    const path = `/v1/telephony/vonage/${env.pathToken}`;
    const status = await rawUpgradeStatus({
      address: env.relay.media,
      path,
      key: 'not-a-websocket-key',
    });
    expect(status).toBe(400);
    for (let i = 0; i < 5; i++) {
      await abandonedUpgrade({ address: env.relay.media, path });
    }
    await until(() => admitting() === 0 && live() === 0, 10_000, 'nothing held');
  });
});
