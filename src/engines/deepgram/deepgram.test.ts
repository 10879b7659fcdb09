import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecognizeResponse__Output } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { audioChunks, simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { startDeepgramServer, type DeepgramServer } from './server.js';
import { startDeepgramFake, type DeepgramFake } from './test-support/deepgram-fake.js';

type Res = RecognizeResponse__Output;
const KEY = 'dg-test-key-0123456789abcdef';

let fake: DeepgramFake;
let server: DeepgramServer;
let clients: SimClients;

beforeAll(async () => {
  fake = await startDeepgramFake({ key: KEY, transcripts: ['book a table', 'for two people'] });
  process.env['DG_TEST_API_KEY'] = KEY;
  server = await startDeepgramServer({
    baseUrl: fake.wsUrl,
    apiKeyEnv: 'DG_TEST_API_KEY',
    keepAliveMs: 300,
  });
  clients = simClients(server.address);
});
afterEach(() => {
  fake.faults.length = 0;
});
afterAll(async () => {
  clients.close();
  await server.close();
  await fake.close();
  delete process.env['DG_TEST_API_KEY'];
});

function open(requestId: string, options: Record<string, string> = {}) {
  const call = clients.stt.Recognize();
  const rec = new StreamRecorder<Res>(call);
  call.write({
    requestId,
    config: {
      encoding: 'LINEAR16',
      sampleRateHz: 16000,
      language: 'en-US',
      interimResults: true,
      endpointing: { silenceMs: 300 },
      options,
    },
  });
  return { call, rec };
}

const finals = (rec: StreamRecorder<Res>) =>
  rec.messages.flatMap((m) => (m.transcript?.isFinal === true ? [m.transcript] : []));

describe('deepgram bridge against the fake', () => {
  it('a full turn: interims, speech events and one final per utterance mapped to capture time', async () => {
    const { call, rec } = open('dg-turn');
    const ready = await rec.next((m) => m.ready != null);
    expect(ready.message.ready?.audioProgress).toBe(true);
    const chunks = audioChunks([
      ['silence', 200],
      ['voice', 800],
      ['silence', 1200],
      ['voice', 600],
      ['silence', 1200],
    ]);
    for (const audio of chunks) {
      call.write({ requestId: 'dg-turn', audio });
    }
    await rec.count((m) => m.transcript?.isFinal === true, 2);
    call.end();
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.OK);
    // Every audio message Deepgram's socket took is reported, 25 at a time.
    const progress = rec.messages.flatMap((m) => (m.progress != null ? [m.progress] : []));
    const every25 = Array.from({ length: Math.floor(chunks.length / 25) }, (_, i) => 25 * (i + 1));
    expect(progress.map((p) => p.audioMessages)).toEqual(every25);
    expect(finals(rec).map((t) => [t.text, t.utterance])).toEqual([
      ['book a table', 1],
      ['for two people', 2],
    ]);
    const interims = rec.messages.filter((m) => m.transcript?.isFinal === false);
    expect(interims.length).toBeGreaterThan(0);
    expect(interims.every((m) => m.transcript!.utterance >= 1)).toBe(true);
    const first = finals(rec)[0]!;
    // Speech ran from 1_000_200 to 1_001_000 on the capture clock.
    expect(first.startTsMs).toBeGreaterThanOrEqual(1_000_180);
    expect(first.endTsMs).toBeLessThanOrEqual(1_001_040);
    expect(first.endTsMs).toBeGreaterThan(first.startTsMs);
    const events = rec.messages.flatMap((m) => (m.speechEvent != null ? [m.speechEvent.type] : []));
    expect(events.slice(0, 3)).toEqual(['SPEECH_STARTED', 'SPEECH_ENDED', 'END_OF_UTTERANCE']);
    const conn = fake.connections.at(-1)!;
    expect(conn.headers.authorization).toBe(`Token ${KEY}`);
    const q = conn.url.searchParams;
    expect([q.get('encoding'), q.get('sample_rate'), q.get('endpointing')]).toEqual([
      'linear16',
      '16000',
      '300',
    ]);
    expect(q.get('interim_results')).toBe('true');
    expect(conn.messages.at(-1)).toEqual({ type: 'CloseStream' });
    expect(await conn.closed).toEqual({ code: 1000, byClient: false });
  });

  it('Flush sends Finalize and answers FlushDone after the finalised transcript', async () => {
    fake.setTranscripts(['cancel my order']);
    const { call, rec } = open('dg-flush');
    await rec.next((m) => m.ready != null);
    for (const audio of audioChunks([['voice', 600]])) {
      call.write({ requestId: 'dg-flush', audio });
    }
    await rec.next((m) => m.transcript?.isFinal === false);
    call.write({ requestId: 'dg-flush', flush: { turnId: 't-7' } });
    const done = await rec.next((m) => m.flushDone != null);
    expect(done.message.turnId).toBe('t-7');
    expect(finals(rec).map((t) => t.text)).toEqual(['cancel my order']);
    const finalAt = rec.received.findIndex((r) => r.message.transcript?.isFinal === true);
    expect(finalAt).toBeLessThan(rec.received.indexOf(done));
    expect(fake.connections.at(-1)!.messages).toContainEqual({ type: 'Finalize' });
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    fake.setTranscripts(['book a table', 'for two people']);
  });

  it('sends KeepAlive text frames while no audio flows', async () => {
    const { call, rec } = open('dg-keepalive');
    await rec.next((m) => m.ready != null);
    const conn = fake.connections.at(-1)!;
    await vi.waitFor(() => expect(conn.messages).toContainEqual({ type: 'KeepAlive' }), {
      timeout: 10_000,
    });
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
  });

  it('cancel mid-stream closes the socket: the fake sees the client close', async () => {
    const { call, rec } = open('dg-cancel');
    await rec.next((m) => m.ready != null);
    for (const audio of audioChunks([['voice', 400]])) {
      call.write({ requestId: 'dg-cancel', audio });
    }
    const conn = fake.connections.at(-1)!;
    await vi.waitFor(() => expect(conn.audioBytes).toBeGreaterThan(0), { timeout: 10_000 });
    call.write({ requestId: 'dg-cancel', cancel: { reason: 'barge-in' } });
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    expect((await conn.closed).byClient).toBe(true);
  });

  it('a 429 at the handshake → RESOURCE_EXHAUSTED with Deepgram’s reason', async () => {
    fake.faults.push({ kind: 'refuse', status: 429, message: 'Too many concurrent requests' });
    const { rec } = open('dg-429');
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(status.details).toContain('HTTP 429');
    expect(status.details).toContain('Too many concurrent requests');
  });

  it('a wrong key → UNAUTHENTICATED, and the key never appears in the details', async () => {
    const { rec } = open('dg-401', { 'deepgram.apiKeyEnv': 'DG_OTHER_API_KEY' });
    process.env['DG_OTHER_API_KEY'] = 'wrong-key-wrong-key-123';
    const status = await rec.done();
    delete process.env['DG_OTHER_API_KEY'];
    expect(status.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(status.details).toContain('Invalid credentials');
    expect(status.details).not.toContain(KEY);
  });

  it('an error close frame mid-stream → UNAVAILABLE with the reason; a drop → UNAVAILABLE', async () => {
    fake.faults.push({
      kind: 'close',
      afterAudioMs: 200,
      code: 1011,
      reason: 'NET-0000: internal',
    });
    const a = open('dg-1011');
    await a.rec.next((m) => m.ready != null);
    for (const audio of audioChunks([['voice', 400]])) {
      a.call.write({ requestId: 'dg-1011', audio });
    }
    const s1 = await a.rec.done();
    expect(s1.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(s1.details).toBe('deepgram closed the stream (1011): NET-0000: internal');
    fake.faults.push({ kind: 'close', afterAudioMs: 100, code: 1008, reason: 'DATA-0000' });
    const b = open('dg-1008');
    await b.rec.next((m) => m.ready != null);
    for (const audio of audioChunks([['voice', 200]])) {
      b.call.write({ requestId: 'dg-1008', audio });
    }
    expect((await b.rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    fake.faults.push({ kind: 'drop', afterAudioMs: 100 });
    const c = open('dg-drop');
    await c.rec.next((m) => m.ready != null);
    for (const audio of audioChunks([['voice', 200]])) {
      c.call.write({ requestId: 'dg-drop', audio });
    }
    expect((await c.rec.done()).code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it('rejects a bad config and a call-named key variable that is not a key', async () => {
    const { rec } = open('dg-bad', { 'deepgram.apiKeyEnv': 'PATH' });
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(status.details).toContain('deepgram.apiKeyEnv');
  });
});
