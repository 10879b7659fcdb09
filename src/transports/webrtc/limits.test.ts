import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as untilAsync } from '../../testing/gateway-client.js';
import { testToken } from '../../testing/relay-harness.js';
import { startWebRtcTestRelay, until, WeriftClient, type WebRtcTestRelay } from './test-support.js';

const RATE = 20;
let t: WebRtcTestRelay;

beforeAll(async () => {
  t = await startWebRtcTestRelay({ maxEventsPerSecond: RATE });
});
afterAll(async () => {
  await t?.close();
});

async function rateDropped(): Promise<number> {
  const m = await t.relay.metrics.framesDropped.get();
  return m.values.find((v) => v.labels['reason'] === 'rate_limited')?.value ?? 0;
}

async function connected(): Promise<WeriftClient> {
  const client = new WeriftClient();
  const r = await fetch(`${t.mediaUrl}/v1/webrtc?pipeline=default`, {
    method: 'POST',
    headers: {
      'content-type': 'application/sdp',
      authorization: `Bearer ${await testToken({ subject: `rate-${Date.now()}` })}`,
    },
    body: await client.offer(),
  });
  expect(r.status).toBe(201);
  await client.answer(await r.text());
  await client.waitFor(
    () => client.events.some((e) => e['type'] === 'session.ready'),
    20_000,
    'session.ready',
  );
  return client;
}

const MARK = JSON.stringify({ type: 'playback.mark', seq: 0 });

describe('WebRTC events channel: the relay-wide message rate policy', () => {
  it('a short burst beyond the rate costs a few events, not the session; a sustained flood is closed 1008', async () => {
    const client = await connected();
    try {
      const before = await rateDropped();
      // Two seconds' worth at once, then small batches until the first one is dropped (SCTP
      // may spread delivery, letting tokens refill): a short excess costs events, not the session.
      for (let i = 0; i < RATE * 2; i++) {
        client.dc.send(MARK);
      }
      for (let batch = 0; batch < 40 && (await rateDropped()) === before; batch++) {
        for (let i = 0; i < 5; i++) {
          client.dc.send(MARK);
        }
        await new Promise<void>((r) => setImmediate(r));
      }
      await untilAsync(async () => ((await rateDropped()) > before ? true : undefined));
      expect(t.relay.sessions?.list().map((s) => s.state)).toEqual(['open']);
      expect(client.events.some((e) => e['type'] === 'session.closing')).toBe(false);

      // Four times the rate, tokens trickling back: closed once a second's worth is excess.
      const flood = setInterval(() => {
        for (let i = 0; i < 4; i++) {
          client.dc.send(MARK);
        }
      }, 50);
      try {
        await client.waitFor(
          () => client.events.some((e) => e['type'] === 'session.closing'),
          30_000,
          'session.closing',
        );
      } finally {
        clearInterval(flood);
      }
      expect(client.events.find((e) => e['type'] === 'session.closing')).toMatchObject({
        code: 1008,
      });
      await until(() => t.relay.sessions?.size === 0, 20_000, 'session ended');
    } finally {
      await client.close();
    }
  }, 60_000);
});
