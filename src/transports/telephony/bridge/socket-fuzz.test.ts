/**
 * Fuzz over live sockets: per carrier, a few hundred random and mutated messages (after a
 * valid start half of the time, so the session path is exercised too) never crash the relay,
 * and a normal call on the same relay keeps working meanwhile. A connection the relay closes
 * (too many malformed messages, 1009, an unsupported codec) is simply re-dialled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_FIXTURES } from '../fixtures/index.js';
import { Gen } from '../fixtures/fuzz-gen.js';
import type { WireMessage } from '../types.js';
import {
  matches,
  protocolFor,
  startCarrierEnv,
  type CarrierEnv,
  type SimName,
} from './test-support/call-scenario.js';
import { SimCall, type CarrierProtocol, type Link } from './test-support/sim-carriers.js';
import { until } from './test-support/telephony-relay.js';

const MESSAGES_PER_CARRIER = 300;
const CARRIERS: SimName[] = [
  'twilio',
  'telnyx',
  'vonage',
  'plivo',
  'exotel',
  'jambonz',
  'freeswitch',
  'asterisk-ws',
  'audiosocket',
];

let env: CarrierEnv;

beforeAll(async () => {
  env = await startCarrierEnv();
});
afterAll(async () => {
  await env.relay.close();
});

function seeds(name: SimName): WireMessage[] {
  return ALL_FIXTURES.filter((f) => f.carrier === name)
    .flatMap((f) => f.steps)
    .flatMap((s) => ('in' in s ? [s.in] : []));
}

function asText(m: WireMessage): string {
  return typeof m === 'string' ? m : m.toString('latin1');
}

/** One hostile or odd message for `p`. */
function randomMessage(g: Gen, p: CarrierProtocol, pool: WireMessage[]): WireMessage {
  const seed = g.pick(pool);
  switch (g.int(10)) {
    case 0:
      return g.bytes(g.int(700));
    case 1:
      return g.bytes(g.int(400)).toString('latin1');
    case 2:
      return g.mutateText(asText(seed));
    case 3:
      return g.mutateJson(asText(seed));
    case 4:
      return g.pick([
        '[]',
        'null',
        '{}',
        '{"event":null}',
        '{"event":{}}',
        '',
        ' ',
        '{"__proto__":{"event":"start"}}',
      ]);
    case 5:
      // Valid framing, random audio (odd sizes included).
      return p.media(
        g.bytes(g.pick([0, 1, 3, 159, 160, 320, 641, 4000])),
        g.int(1000),
        g.int(100_000),
      );
    case 6:
      return g.pick([
        ...p.dtmf(g.pick(['5', '#', 'x', ''])),
        ...p.markAck(`vr:${g.int(100)}`),
        ...p.hangup(),
        seed,
      ]);
    case 7:
      return p.opening()[0] ?? seed;
    default:
      return seed;
  }
}

async function fuzz(name: SimName, seed: number): Promise<{ sent: number; dials: number }> {
  const g = new Gen(seed);
  const pool = seeds(name);
  let sent = 0;
  let dials = 0;
  while (sent < MESSAGES_PER_CARRIER && dials < 60) {
    const p = protocolFor(name, env);
    dials++;
    let link: Link;
    try {
      link = await p.connect({
        media: env.relay.media,
        audioSocketPort: env.relay.audioSocketPort,
      });
    } catch {
      continue;
    }
    if (g.int(2) === 0) {
      for (const m of p.opening()) {
        link.send(m);
      }
    }
    const batch = 20 + g.int(80);
    for (let i = 0; i < batch && sent < MESSAGES_PER_CARRIER && link.isOpen; i++) {
      const m = randomMessage(g, p, pool.length > 0 ? pool : p.opening());
      link.send(m);
      sent++;
      if (i % 10 === 9) {
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    link.close();
    await Promise.race([link.closed, new Promise((r) => setTimeout(r, 2_000))]);
  }
  return { sent, dials };
}

describe('fuzz over live sockets', () => {
  it(`${MESSAGES_PER_CARRIER} random/mutated messages per carrier never crash the relay; a concurrent call keeps working`, async () => {
    const badBefore =
      (await env.relay.relay.metrics.framesDropped.get()).values.find(
        (v) => v.labels['reason'] === 'carrier_bad_message',
      )?.value ?? 0;
    // A normal call, on the same relay, at the same time.
    const p = protocolFor('twilio', env);
    const call = await SimCall.dial(p, { media: env.relay.media });
    call.startMic();
    const victim = (async () => {
      await call.pause(100);
      await call.say(800);
      const observed = await env.relay.calls.find(matches(p), 60_000);
      const final = await observed.log.waitFor('transcript.final', () => true, 60_000);
      await until(() => call.receivedMs >= 400, 60_000, 'reply audio');
      call.dtmf('7');
      await observed.log.waitFor('dtmf', (e) => e.digit === '7', 30_000);
      await call.hangup();
      return final.text;
    })();

    const results = await Promise.all(CARRIERS.map((name, i) => fuzz(name, 0xf00d + i * 7919)));
    for (const r of results) {
      expect(r.sent).toBe(MESSAGES_PER_CARRIER);
    }
    expect(await victim).toBe('tell me a story');

    const sessions = env.relay.relay.sessions;
    await until(() => sessions?.size === 0, 30_000, 'every fuzzed session ended');
    const badAfter =
      (await env.relay.relay.metrics.framesDropped.get()).values.find(
        (v) => v.labels['reason'] === 'carrier_bad_message',
      )?.value ?? 0;
    expect(badAfter).toBeGreaterThan(badBefore);

    // Still serving: a fresh call gets its session.
    const p2 = protocolFor('vonage', env);
    const again = await SimCall.dial(p2, { media: env.relay.media });
    const observed = await env.relay.calls.find(matches(p2), 60_000);
    await observed.log.waitFor('session.ready', () => true, 30_000);
    await again.hangup();
  }, 300_000);
});
