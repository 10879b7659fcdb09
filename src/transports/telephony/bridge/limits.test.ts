import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { REPLY } from './test-support/call-scenario.js';
import {
  clientToken,
  phonePipeline,
  startTelephonyRelay,
  until,
  type TelephonyTestRelay,
} from './test-support/telephony-relay.js';

// The relay-wide policies on a carrier socket: the message rate (1008) and the heartbeat (4008).
let env: TelephonyTestRelay;
beforeAll(async () => {
  env = await startTelephonyRelay({
    pipelines: { phone: phonePipeline('phone', REPLY) },
    telephony: {
      defaultPipeline: 'phone',
      carriers: { vonage: {} },
      maxMessagesPerSecond: 50,
      heartbeatMs: 300,
    },
  });
});
afterAll(async () => {
  await env.close();
});

/** A Vonage-style socket with a relay credential in the path: its session exists at once. */
async function call(): Promise<{
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}> {
  const ws = new WebSocket(`ws://${env.media}/v1/telephony/vonage/${await clientToken()}`);
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.once('close', (code: number, reason: Buffer) => r({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await until(() => (env.relay.sessions?.size ?? 0) > 0, 10_000, 'session');
  return { ws, closed };
}

describe('carrier sockets follow the relay-wide limits', () => {
  it('a sustained message flood is closed with 1008', async () => {
    const c = await call();
    const frame = Buffer.alloc(640);
    const flood = setInterval(() => {
      for (let i = 0; i < 4 && c.ws.readyState === c.ws.OPEN; i++) {
        c.ws.send(frame);
      }
    }, 20);
    try {
      expect(await c.closed).toEqual({ code: 1008, reason: 'message rate limit exceeded' });
    } finally {
      clearInterval(flood);
    }
    await until(() => env.relay.sessions?.size === 0, 10_000, 'session ended');
  }, 30_000);

  it('a carrier that stops reading (no pong) is closed with 4008', async () => {
    const c = await call();
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    await until(() => env.relay.sessions?.size === 0, 20_000, 'session ended');
    socket.resume();
    expect((await c.closed).code).toBe(4008);
  }, 30_000);
});
