import { describe, expect, it } from 'vitest';
import { AudioSocketSerializer } from './audiosocket.js';
import { ALL_FIXTURES } from './fixtures/index.js';
import { eventProblem, Gen } from './fixtures/fuzz-gen.js';
import {
  CARRIER_NAMES,
  createSerializer,
  type CarrierName,
  type CarrierSerializer,
  type InboundEvent,
} from './index.js';

const ITERATIONS = 3000;

const EVENTS: Record<CarrierName, string[]> = {
  twilio: ['connected', 'start', 'media', 'dtmf', 'mark', 'stop'],
  telnyx: ['connected', 'start', 'media', 'dtmf', 'mark', 'error', 'stop'],
  vonage: ['websocket:connected', 'websocket:dtmf', 'websocket:notify', 'websocket:cleared'],
  plivo: ['start', 'media', 'dtmf', 'playedStream', 'played', 'clearedAudio', 'stop'],
  exotel: ['connected', 'start', 'media', 'dtmf', 'mark', 'stop'],
  jambonz: ['dtmf', 'playDone'],
  freeswitch: [],
  'asterisk-ws': ['MEDIA_START', 'MEDIA_MARK_PROCESSED', 'DTMF_END', 'MEDIA_XOFF', 'ERROR'],
  audiosocket: [],
};

interface Input {
  message: string | Buffer;
  binary: boolean;
}

function seedsOf(name: CarrierName): Input[] {
  return ALL_FIXTURES.filter((f) => f.carrier === name)
    .flatMap((f) => f.steps)
    .flatMap((s) => ('in' in s ? [{ message: s.in, binary: s.binary ?? false }] : []));
}

function randomInput(g: Gen, name: CarrierName, seeds: Input[]): Input {
  const seed = g.pick(seeds);
  const seedText =
    typeof seed.message === 'string' ? seed.message : seed.message.toString('latin1');
  switch (g.int(9)) {
    case 0:
      return { message: g.bytes(g.int(400)), binary: true };
    case 1:
      return { message: g.bytes(g.int(400)).toString('latin1'), binary: false };
    case 2:
      return { message: g.mutateText(seedText), binary: seed.binary };
    case 3:
      return { message: g.mutateJson(seedText), binary: false };
    case 4: {
      const events = EVENTS[name];
      const event = events.length > 0 ? g.pick(events) : 'x';
      const body = g.value();
      const obj = typeof body === 'object' && body !== null ? body : { v: body };
      return name === 'asterisk-ws' && g.int(2) === 0
        ? { message: `${event} ${g.bytes(g.int(30)).toString('latin1')}`, binary: false }
        : { message: JSON.stringify({ event, ...obj }), binary: false };
    }
    case 5:
      return {
        message: seed.binary ? seed.message : g.mutateJson(g.mutateJson(seedText)),
        binary: seed.binary,
      };
    case 6:
      return {
        message: g.pick([
          '[]',
          'null',
          '"str"',
          '1',
          '{}',
          '{"event":null}',
          '{"event":{}}',
          '{"__proto__":{"event":"start"}}',
          '',
          ' ',
        ]),
        binary: false,
      };
    case 7:
      return seed;
    default:
      return { message: g.bytes(g.int(2000)), binary: g.int(2) === 0 };
  }
}

function check(name: CarrierName, s: CarrierSerializer, input: Input): void {
  let events;
  try {
    events = s.parse(input.message, input.binary);
  } catch (err) {
    throw new Error(
      `${name}.parse threw on ${JSON.stringify(String(input.message).slice(0, 200))}`,
      {
        cause: err,
      },
    );
  }
  expect(Array.isArray(events)).toBe(true);
  if (name !== 'audiosocket') {
    expect(events.length, name).toBeGreaterThan(0);
  }
  for (const e of events) {
    const problem = eventProblem(e);
    if (problem !== undefined) {
      throw new Error(
        `${name}: ${problem} for input ${JSON.stringify(String(input.message).slice(0, 200))}`,
      );
    }
  }
}

function outbound(g: Gen, s: CarrierSerializer): void {
  switch (g.int(6)) {
    case 0:
    case 1:
      s.media(g.bytes(g.pick([0, 1, 3, 160, 320, 641, 5000])));
      break;
    case 2:
      s.mark(JSON.stringify(g.value()) ?? 'undefined');
      break;
    case 3:
      s.clear();
      break;
    case 4:
      s.flush();
      break;
    default:
      s.hangup();
  }
}

describe('fuzz: parse never throws and always explains itself', () => {
  for (const name of CARRIER_NAMES) {
    it(`${name}: ${ITERATIONS} random and mutated messages`, () => {
      const g = new Gen(0xc0ffee ^ name.length ^ name.charCodeAt(0));
      const seeds = seedsOf(name);
      expect(seeds.length).toBeGreaterThan(0);
      let s = createSerializer(name);
      for (let i = 0; i < ITERATIONS; i++) {
        if (g.int(50) === 0) {
          s = createSerializer(name); // fresh state now and then
        }
        check(name, s, randomInput(g, name, seeds));
        if (g.int(4) === 0) {
          expect(() => outbound(g, s)).not.toThrow();
        }
      }
      // Hostile extremes, once each.
      const extremes: Input[] = [
        { message: '['.repeat(200_000), binary: false },
        {
          message: `{"event":"media","media":{"payload":"${'A'.repeat(2_000_000)}"}}`,
          binary: false,
        },
        { message: `{"event":"start","x":"${'é'.repeat(600_000)}"}`, binary: false },
        { message: Buffer.alloc(1_000_000, 0x7b), binary: false },
        { message: Buffer.alloc(200_000, 0x10), binary: true },
      ];
      for (const input of extremes) {
        check(name, createSerializer(name), input);
        check(name, s, input);
      }
    });
  }
});

/** An event as a string: media payloads as hex, the rest as JSON. */
function digest(e: InboundEvent): string {
  return e.kind === 'media' ? `media:${e.payload.toString('hex')}` : JSON.stringify(e);
}

describe('fuzz: AudioSocket TLV streams under partial reads', () => {
  function tlv(g: Gen): Buffer {
    const kind = g.pick([0x00, 0x01, 0x03, 0x10, 0x10, 0x10, 0x11, 0xff, g.int(256)]);
    const len =
      kind === 0x10
        ? g.pick([320, 320, 0, 1, 641])
        : kind === 0x01
          ? g.pick([16, 16, 15])
          : g.int(4);
    const payload = kind === 0x03 ? Buffer.from(g.pick(['5', '#', 'x', '55'])) : g.bytes(len);
    return Buffer.concat([
      Buffer.from([kind, payload.length >> 8, payload.length & 0xff]),
      payload,
    ]);
  }

  it('chunked parsing equals whole-stream parsing for 500 random streams', () => {
    const g = new Gen(42);
    for (let n = 0; n < 500; n++) {
      const frames = Array.from({ length: 1 + g.int(30) }, () => tlv(g));
      // Sometimes end on garbage: a truncated frame or random bytes.
      if (g.int(3) === 0) {
        frames.push(g.bytes(g.int(6)));
      }
      const stream = Buffer.concat(frames);
      const whole = createSerializer('audiosocket');
      const expected = whole.parse(stream, true);

      const pieces = createSerializer('audiosocket');
      const got = [];
      let at = 0;
      while (at < stream.length) {
        const size = g.pick([1, 2, 3, 7, 64, 400, 5000]);
        const piece = stream.subarray(at, at + size);
        at += piece.length;
        const events = pieces.parse(piece, true);
        const problem = events.map(eventProblem).find((p) => p !== undefined);
        if (problem !== undefined) {
          throw new Error(problem);
        }
        got.push(...events);
      }
      // Buffers compared with Buffer#equals: deep equality is far slower on bytes.
      expect(got.map(digest)).toStrictEqual(expected.map(digest));
    }
  });

  it('random byte streams never throw and never hold more than one message', () => {
    const g = new Gen(7);
    const s = new AudioSocketSerializer();
    for (let n = 0; n < 2000; n++) {
      expect(() => s.parse(g.bytes(g.int(3000)), true)).not.toThrow();
      expect(s.pendingBytes).toBeLessThan(3 + 0x10000);
    }
  });
});
