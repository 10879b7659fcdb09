import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesizeResponse__Output } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { startCartesiaServer, type CartesiaServer } from './server.js';
import { startCartesiaFake, type CartesiaFake } from './test-support/cartesia-fake.js';

type Res = SynthesizeResponse__Output;
const KEY = 'sk_car_test_0123456789abcdef';
const MS_PER_CHAR = 50;
const VOICE = 'a0e99841-438c-4a64-b679-ae501e7d6091';

let fake: CartesiaFake;
let server: CartesiaServer;
let clients: SimClients;

beforeAll(async () => {
  fake = await startCartesiaFake({ key: KEY, msPerChar: MS_PER_CHAR, chunkIntervalMs: 5 });
  server = await startCartesiaServer({ baseUrl: fake.wsUrl, apiKey: KEY });
  clients = simClients(server.address);
});
afterEach(() => {
  fake.faults.length = 0;
});
afterAll(async () => {
  clients.close();
  await server.close();
  await fake.close();
});

function open(requestId: string) {
  const call = clients.tts.Synthesize();
  const rec = new StreamRecorder<Res>(call);
  call.write({
    requestId,
    turnId: 'turn-c',
    config: { voice: VOICE, encoding: 'LINEAR16', sampleRateHz: 24000, language: 'en-US' },
  });
  return { call, rec };
}

describe('cartesia bridge against the fake', () => {
  it('a full turn: word timestamps become exact spans, done ends the call', async () => {
    const { call, rec } = open('c-turn');
    const parts = ['Hello there, ', 'how are you today?'];
    for (const text of parts) {
      call.write({ requestId: 'c-turn', text: { text } });
    }
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    const text = parts.join('');
    let ms = 0;
    const pieces = rec.messages.flatMap((m) => {
      if (m.audio == null) {
        return [];
      }
      ms += m.audio.durationMs;
      return [{ endMs: ms, start: m.audio.span!.start, end: m.audio.span!.end }];
    });
    expect(pieces.at(-1)!.end).toBe(text.length);
    const claims = pieces.filter((p) => p.end > p.start);
    // Each word end: the piece ends when the word's last character ends.
    expect(claims.map((p) => [text.slice(0, p.end), Math.round(p.endMs)])).toEqual(
      [
        'Hello',
        'Hello there,',
        'Hello there, how',
        'Hello there, how are',
        'Hello there, how are you',
        'Hello there, how are you today?',
      ].map((t) => [t, t.length * MS_PER_CHAR]),
    );
    const conn = fake.connections.at(-1)!;
    expect(conn.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(conn.headers['cartesia-version']).toBeDefined();
    expect(conn.messages.map((m) => [m['transcript'], m['continue']])).toEqual([
      [parts[0], true],
      [parts[1], true],
      ['', false],
    ]);
    expect(conn.messages[0]).toMatchObject({
      model_id: 'sonic-3',
      voice: { mode: 'id', id: VOICE },
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 },
      add_timestamps: true,
      language: 'en',
    });
  });

  it('cancel mid-stream sends cancel for the context and closes: the fake sees both', async () => {
    const { call, rec } = open('c-cancel');
    call.write({
      requestId: 'c-cancel',
      text: { text: 'A long sentence that is still being spoken when cancelled.' },
    });
    await rec.next((m) => m.audio != null);
    call.write({ requestId: 'c-cancel', cancel: { reason: 'barge-in' } });
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    const conn = fake.connections.at(-1)!;
    expect((await conn.closed).byClient).toBe(true);
    expect(conn.messages.at(-1)).toEqual({
      context_id: conn.messages[0]!['context_id'],
      cancel: true,
    });
  });

  it('maps an error message by status code, a 429 refusal and a dropped connection', async () => {
    fake.faults.push({
      kind: 'error',
      afterInputs: 1,
      status: 429,
      title: 'Concurrency limited',
      message: 'Too many concurrent contexts',
    });
    const a = open('c-err');
    a.call.write({ requestId: 'c-err', text: { text: 'Hi. ' } });
    const s1 = await a.rec.done();
    expect(s1.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(s1.details).toBe(
      'cartesia error 429: concurrency_limited: Concurrency limited: Too many concurrent contexts',
    );
    fake.faults.push({ kind: 'refuse', status: 429, message: 'Too many connections' });
    const b = open('c-429');
    const s2 = await b.rec.done();
    expect(s2.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(s2.details).toContain('Too many connections');
    fake.faults.push({ kind: 'drop', afterChunks: 1 });
    const c = open('c-drop');
    c.call.write({
      requestId: 'c-drop',
      text: { text: 'Enough text for a couple of chunks of audio. ' },
    });
    expect((await c.rec.done()).code).toBe(GrpcStatus.UNAVAILABLE);
  });
});
