import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../observability/logger.js';
import { audioSocketFrame } from '../audiosocket.js';
import { AUDIOSOCKET_UUID, REPLY, telephonyOptions } from './test-support/call-scenario.js';
import { tcpLink, wsLink } from './test-support/sim-carriers.js';
import {
  clientToken,
  phonePipeline,
  relayToken,
  startTelephonyRelay,
  until,
  type TelephonyTestRelay,
} from './test-support/telephony-relay.js';

/** Carrier edge cases over real sockets, with the relay's own log lines captured. */
let relay: TelephonyTestRelay;
const lines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  relay = await startTelephonyRelay({
    pipelines: { phone: phonePipeline('phone', REPLY) },
    telephony: telephonyOptions(await relayToken()),
    logger: createLogger({ level: 'debug' }, sink),
  });
});
afterAll(async () => {
  await relay?.close();
});

async function sessionsTotal(): Promise<number> {
  const m = await relay.relay.metrics.sessionsTotal.get();
  return m.values.reduce((a, v) => a + v.value, 0);
}

describe('carrier edge cases', () => {
  it('Vonage: a first message in the older format without "event" starts the call', async () => {
    const link = await wsLink(`ws://${relay.media}/v1/telephony/vonage/${await clientToken()}`);
    link.send(JSON.stringify({ 'content-type': 'audio/l16;rate=16000', call: 'older-format' }));
    const call = await relay.calls.find((i) => i.customParameters['call'] === 'older-format');
    await call.log.waitFor('session.ready');
    link.close();
  });

  it('AudioSocket: audio before the UUID ends the connection at once, without a session', async () => {
    const before = await sessionsTotal();
    const link = await tcpLink(relay.audioSocketPort ?? 0);
    link.send(audioSocketFrame(0x10, Buffer.alloc(320)));
    await link.closed;
    expect(await sessionsTotal()).toBe(before);
    // Refused for what it is, not left to the start timeout.
    expect(lines.some((l) => l.includes('AudioSocket audio before the UUID message'))).toBe(true);
  });

  it('AudioSocket: an error message (0xff) ends the call', async () => {
    const link = await tcpLink(relay.audioSocketPort ?? 0);
    link.send(audioSocketFrame(0x01, Buffer.from(AUDIOSOCKET_UUID.replace(/-/g, ''), 'hex')));
    const call = await relay.calls.find((i) => i.callId === AUDIOSOCKET_UUID);
    const ready = await call.log.waitFor('session.ready');
    link.send(audioSocketFrame(0xff, Buffer.from([0x02])));
    await link.closed;
    await until(() => relay.relay.sessions?.get(ready.sessionId) === undefined, 5_000, 'end');
  });

  it('log lines never repeat the keys module or carrier', () => {
    const telephony = lines.filter((l) => l.includes('"ingress":"telephony"'));
    expect(telephony.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.match(/"module":/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(line.match(/"carrier":/g)?.length ?? 0).toBeLessThanOrEqual(1);
    }
  });
});
