import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { until } from '../testing/gateway-client.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

// Issue 13, findings 5 and 6: a sustained message flood and a client that never reads.
let relay: Relay;

beforeAll(async () => {
  relay = await startTestRelay({ heartbeatMs: 300, limits: { maxMessagesPerSecond: 50 } });
});
afterAll(async () => {
  await relay.close();
});

function socketOf(c: RelayClient): { pause(): void; resume(): void } {
  return (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
}

describe('abusive clients are closed with the documented codes', () => {
  it('a sustained flood above the message rate (tokens trickling back in) is closed with 1008', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    // Four times the rate, paced so the bucket keeps refilling a little: before the fix
    // every refilled token forgave the excess and the flood went on for ever.
    const flood = setInterval(() => {
      for (let i = 0; i < 4; i++) {
        if (c.ws.readyState === c.ws.OPEN) {
          c.ws.send(JSON.stringify({ type: 'playback.mark', name: 'x' }));
        }
      }
    }, 20);
    try {
      const { code } = await c.closed;
      expect(code).toBe(1008);
      const closing = c.log.events.find((e) => e.type === 'session.closing');
      expect(closing).toMatchObject({ code: 1008 });
    } finally {
      clearInterval(flood);
    }
  }, 30_000);

  it('a client that stops reading gets session.closing and 4008, not a silent 1006', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    const socket = socketOf(c);
    socket.pause();
    // Nothing on the paused socket can be observed; the relay's own session count is.
    await until(() => Promise.resolve(relay.sessions!.size === 0 ? true : undefined));
    socket.resume();
    const { code } = await c.closed;
    expect(code).toBe(4008);
    expect(c.log.events.find((e) => e.type === 'session.closing')).toMatchObject({ code: 4008 });
  }, 30_000);
});
