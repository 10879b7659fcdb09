import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/**
 * An outside fuzz against a live relay: N random binary frames and N random text events
 * (VR_FUZZ_N, default 5 000 each; the full run is 100 000) from reconnecting fuzz
 * clients, while a well-behaved control session holds a conversation throughout.
 */
const N = Number(process.env['VR_FUZZ_N'] ?? 5_000);
const BATCH = 200;
let relay: Relay;

beforeAll(async () => {
  relay = await startTestRelay({
    limits: { maxMessagesPerSecond: 1_000_000, connectsPerMinute: 1_000_000 },
  });
});
afterAll(async () => {
  await relay?.close();
});

let seed = 0x2545f491;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

function fuzzFrame(): Buffer {
  const kind = rnd(4);
  const len = kind === 0 ? rnd(12) : kind === 1 ? 12 + 640 : rnd(2_000);
  const b = randomBytes(len);
  if (len >= 12 && rnd(2) === 0) {
    b.writeUInt32BE(0, 8); // clean flags and reserved: the payload path is fuzzed too
  }
  return b;
}

const EVENTS = [
  '{"type":"input.text","text":"x"}',
  '{"type":"response.cancel"}',
  '{"type":"playback.mark","seq":1}',
  '{"type":"session.update","session":{"interruptions":false}}',
];

function fuzzEvent(): string {
  const base = EVENTS[rnd(EVENTS.length)] ?? '{}';
  switch (rnd(5)) {
    case 0:
      return randomBytes(rnd(300)).toString('latin1');
    case 1: {
      const i = rnd(base.length);
      return base.slice(0, i) + String.fromCharCode(rnd(256)) + base.slice(i + 1);
    }
    case 2:
      return JSON.stringify({ type: base, deep: [[[[{ a: rnd(1e9) }]]]], n: -0, big: 1e308 });
    case 3:
      return `{"type":"playback.mark","seq":${rnd(2) === 0 ? '-1' : '1e99'}}`;
    default:
      return base;
  }
}

async function drained(c: RelayClient): Promise<void> {
  while (c.ws.readyState === c.ws.OPEN && c.ws.bufferedAmount > 0) {
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** Send `n` messages from reconnecting fuzz clients; returns how many sessions it took. */
async function fuzz(n: number, next: () => Buffer | string): Promise<number> {
  let sent = 0;
  let sessions = 0;
  const token = await testToken({ subject: 'fuzzer' });
  while (sent < n) {
    const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
    sessions++;
    while (sent < n && c.ws.readyState === c.ws.OPEN) {
      for (let i = 0; i < BATCH && sent < n; i++, sent++) {
        const m = next();
        c.ws.send(m, { binary: typeof m !== 'string' });
      }
      await drained(c);
      // Pacing (not synchronisation): leave the loop to the relay between batches.
      await new Promise<void>((r) => setTimeout(r, 10));
    }
    if (c.ws.readyState === c.ws.OPEN) {
      await c.close();
    }
  }
  return sessions;
}

describe('outside fuzz with a control session talking throughout', () => {
  it(`${N} frames and ${N} events: no crash, bounded RSS, every control turn completes`, async () => {
    const control = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken({ subject: 'control' }),
    });
    await control.log.waitFor('session.ready');
    const rssBefore = process.memoryUsage().rss;
    let fuzzing = true;
    let turns = 0;
    const talking = (async () => {
      while (fuzzing || turns === 0) {
        control.sendEvent({ type: 'input.text', text: `control turn ${turns}` });
        await control.log.waitFor('response.done', () => true, 30_000, turns + 1);
        turns++;
      }
    })();
    const frameSessions = await fuzz(N, fuzzFrame);
    const eventSessions = await fuzz(N, fuzzEvent);
    fuzzing = false;
    await talking;
    const rssAfter = process.memoryUsage().rss;
    const growthMb = (rssAfter - rssBefore) / 2 ** 20;
    process.stdout.write(
      `outside fuzz: ${N} frames (${frameSessions} sessions), ${N} events (${eventSessions} sessions), ` +
        `${turns} control turns, RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB\n`,
    );
    expect(control.ws.readyState).toBe(control.ws.OPEN);
    expect(control.log.of('response.interrupted')).toHaveLength(0);
    expect(control.log.of('response.done')).toHaveLength(turns);
    expect(turns).toBeGreaterThan(0);
    // Generous: the relay keeps nothing per fuzzed message.
    expect(growthMb).toBeLessThan(400);
    const health = await fetch(`${relay.gatewayUrl}/healthz`);
    expect(health.status).toBe(200);
    await control.close();
  }, 600_000);
});
