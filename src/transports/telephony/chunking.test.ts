import { describe, expect, it } from 'vitest';
import { Chunker, silenceByte } from './chunker.js';
import { ALL_FIXTURES } from './fixtures/index.js';
import { Gen } from './fixtures/fuzz-gen.js';
import { CARRIER_NAMES, createSerializer, type CarrierName, type WireMessage } from './index.js';

/** The audio bytes inside an outbound wire message; undefined for control messages. */
function audioOf(name: CarrierName, msg: WireMessage): Buffer | undefined {
  if (Buffer.isBuffer(msg)) {
    if (name === 'audiosocket') {
      return msg[0] === 0x00 ? undefined : msg.subarray(3);
    }
    return msg;
  }
  if (!msg.startsWith('{')) {
    return undefined; // chan_websocket plain-text command
  }
  const obj = JSON.parse(msg) as {
    event?: string;
    type?: string;
    media?: { payload?: string };
    data?: { audioData?: string };
  };
  if (obj.event === 'media' || obj.event === 'playAudio') {
    return Buffer.from(obj.media?.payload ?? '', 'base64');
  }
  if (obj.type === 'streamAudio') {
    return Buffer.from(obj.data?.audioData ?? '', 'base64');
  }
  return undefined;
}

/** A serializer that has seen its carrier's start (first fixture, up to `start`). */
function started(name: CarrierName) {
  const fixture = ALL_FIXTURES.find((f) => f.carrier === name);
  const s = createSerializer(name, fixture?.options ?? {});
  for (const step of fixture?.steps ?? []) {
    if ('in' in step) {
      const events = s.parse(step.in, step.binary ?? false);
      if (events.some((e) => e.kind === 'start')) {
        break;
      }
    }
  }
  return s;
}

describe('outbound chunking keeps every byte and obeys each carrier rule', () => {
  for (const name of CARRIER_NAMES) {
    it(name, () => {
      const g = new Gen(name.length * 7919);
      const s = started(name);
      const format = s.outputFormat;
      expect(format, name).toBeDefined();
      if (format === undefined) {
        return;
      }
      const { alignBytes, minBytes, maxBytes } = format.chunk;
      const silence = silenceByte(format.encoding);
      let sent: Buffer[] = [];
      let got: Buffer[] = [];
      const take = (msgs: WireMessage[] | undefined, flushing: boolean): void => {
        for (const m of msgs ?? []) {
          const audio = audioOf(name, m);
          if (audio === undefined) {
            continue;
          }
          expect(audio.length % alignBytes, `${name}: aligned`).toBe(0);
          expect(audio.length, `${name}: ≤ max`).toBeLessThanOrEqual(maxBytes);
          // Only a flushed tail of a carrier whose minimum is the relay's choice may be short.
          if (!(flushing && name === 'freeswitch')) {
            expect(audio.length, `${name}: ≥ min`).toBeGreaterThanOrEqual(minBytes);
          }
          got.push(audio);
        }
      };
      for (let i = 0; i < 300; i++) {
        const r = g.int(10);
        if (r < 7) {
          const payload = g.bytes(g.pick([1, 2, 80, 160, 320, 333, 640, 4000, 70_000]));
          sent.push(payload);
          take(s.media(payload), false);
        } else {
          // Carriers without marks return undefined: the adapter then flushes itself.
          take(r < 9 ? s.flush() : (s.mark(`m${i}`) ?? s.flush()), true);
          const input = Buffer.concat(sent);
          const output = Buffer.concat(got);
          expect(output.subarray(0, input.length).equals(input), `${name}: all bytes out`).toBe(
            true,
          );
          const pad = output.subarray(input.length);
          expect(
            pad.every((b) => b === silence),
            `${name}: padding is silence`,
          ).toBe(true);
          expect(pad.length, `${name}: padding < one chunk`).toBeLessThan(
            Math.max(minBytes, alignBytes),
          );
          sent = [];
          got = [];
        }
      }
    });
  }
});

describe('Chunker', () => {
  it('holds a short tail and pads it to the minimum on flush', () => {
    const c = new Chunker({ alignBytes: 320, minBytes: 3200, maxBytes: 99_840 }, 0);
    expect(c.push(Buffer.alloc(3000, 1))).toEqual([]);
    expect(c.pendingBytes).toBe(3000);
    const [chunk] = c.push(Buffer.alloc(640, 1));
    expect(chunk?.length).toBe(3520);
    const [tail] = c.flush();
    expect(tail?.length).toBe(3200);
    expect(tail?.subarray(0, 120).every((b) => b === 1)).toBe(true);
    expect(tail?.subarray(120).every((b) => b === 0)).toBe(true);
    expect(c.flush()).toEqual([]);
  });

  it('passes packets through untouched when unbounded', () => {
    const c = new Chunker({ alignBytes: 1, minBytes: 1, maxBytes: Infinity }, 0);
    const p = Buffer.from([1, 2, 3]);
    expect(c.push(p)[0]).toBe(p);
  });

  it('reset drops held audio', () => {
    const c = new Chunker({ alignBytes: 160, minBytes: 160, maxBytes: 160 }, 0xff);
    c.push(Buffer.alloc(100));
    c.reset();
    expect(c.flush()).toEqual([]);
  });

  it('does not pin the caller buffer', () => {
    const c = new Chunker({ alignBytes: 160, minBytes: 160, maxBytes: 160 }, 0xff);
    const big = Buffer.alloc(1000);
    c.push(big);
    big.fill(9);
    const [tail] = c.flush();
    expect(tail?.subarray(0, 40).every((b) => b === 0)).toBe(true);
  });
});
