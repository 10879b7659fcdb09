import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

let relay: Relay;
let dir: string;
const LONG = 'This reply goes on and on. '.repeat(40);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vr-bp-'));
  // 48 kHz and a a lead as long as the reply make it fill the socket quickly; TTS is fast.
  await writeFile(
    join(dir, 'loud.yaml'),
    `name: loud
audio: { sampleRateHz: 48000 }
output: { leadMs: 120000 }
stages:
  stt: { endpoints: [embedded:sim], budgetMs: 30000 }
  llm: { endpoints: [embedded:sim], budgetMs: 30000, sim: { mode: scripted, script: ["${LONG}"], ttftMs: 10, interTokenMs: 1 } }
  tts: { endpoints: [embedded:sim], budgetMs: 30000, sim: { firstAudioMs: 10, realTimeFactor: 0.01 } }
`,
  );
  relay = await startTestRelay({
    pipelinesDir: dir,
    limits: { wsDropAudioAboveBytes: 16 * 1024, wsCloseAboveBytes: 256 * 1024, wsMaxSlowMs: 1_500 },
  });
});
afterAll(async () => {
  await relay.close();
  await rm(dir, { recursive: true, force: true });
});

async function dropped(reason: string): Promise<number> {
  const m = await relay.metrics.framesDropped.get();
  return m.values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
}

describe('send-side backpressure', () => {
  it('a client that stops reading gets audio dropped (counted) and is then closed with 4008', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'loud',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    c.sendEvent({ type: 'input.text', text: 'talk a lot' });
    await c.log.waitFor('response.started');
    // Stop reading: the relay's send buffer grows until the policy acts.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const start = Date.now();
    const closed = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('session was not closed')), 40_000);
      const check = (): void => {
        if (relay.sessions!.size === 0) {
          clearTimeout(t);
          resolve(Date.now() - start);
        } else {
          setTimeout(check, 50);
        }
      };
      check();
    });
    expect(closed).toBeGreaterThan(0);
    expect(await dropped('client_slow')).toBeGreaterThan(0);
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code } = await c.closed;
    expect(code).toBe(4008);
  }, 60_000);
});
