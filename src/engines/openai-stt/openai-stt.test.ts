import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecognizeResponse__Output } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { audioChunks, simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { startOpenAiSttServer, type OpenAiSttServer } from './server.js';
import {
  openAiError,
  startTranscriptionFake,
  type TranscriptionFake,
} from './test-support/transcription-fake.js';

type Res = RecognizeResponse__Output;
const KEY = 'sk-stt-test-0123456789abcdef';

let fake: TranscriptionFake;
let speaches: TranscriptionFake;
let server: OpenAiSttServer;
let plain: OpenAiSttServer;
let clients: SimClients;
let plainClients: SimClients;

beforeAll(async () => {
  fake = await startTranscriptionFake({ key: KEY });
  speaches = await startTranscriptionFake({ flavour: 'speaches' });
  process.env['OAI_STT_TEST_API_KEY'] = KEY;
  server = await startOpenAiSttServer({ baseUrl: fake.baseUrl, apiKeyEnv: 'OAI_STT_TEST_API_KEY' });
  plain = await startOpenAiSttServer({
    baseUrl: speaches.baseUrl,
    model: 'Systran/faster-whisper-small',
  });
  clients = simClients(server.address);
  plainClients = simClients(plain.address);
});
afterEach(() => {
  fake.faults.length = 0;
});
afterAll(async () => {
  clients.close();
  plainClients.close();
  await server.close();
  await plain.close();
  await fake.close();
  await speaches.close();
  delete process.env['OAI_STT_TEST_API_KEY'];
});

function open(requestId: string, options: Record<string, string> = {}, c = clients) {
  const call = c.stt.Recognize();
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

/** 200 ms silence, `voiceMs` of voice, `tailMs` of silence. */
function utterance(voiceMs: number, tailMs = 600, startTsMs = 1_000_000) {
  return audioChunks(
    [
      ['silence', 200],
      ['voice', voiceMs],
      ['silence', tailMs],
    ],
    { startTsMs },
  );
}

describe('OpenAI-compatible transcription bridge against a fake', () => {
  it('a full turn: VAD segments, streamed deltas as interims, one final per utterance', async () => {
    fake.setTranscripts(['book a table', 'for two people']);
    const before = fake.requests.length;
    const { call, rec } = open('t-turn');
    const ready = await rec.next((m) => m.ready != null);
    expect(ready.message.ready!.partialResults).toBe(true);
    const chunks = audioChunks([
      ['silence', 200],
      ['voice', 800],
      ['silence', 600],
      ['voice', 600],
      ['silence', 600],
    ]);
    for (const audio of chunks) {
      call.write({ requestId: 't-turn', audio });
    }
    await rec.count((m) => m.transcript?.isFinal === true, 2);
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(finals(rec).map((t) => [t.text, t.utterance])).toEqual([
      ['book a table', 1],
      ['for two people', 2],
    ]);
    const interims = rec.messages.flatMap((m) =>
      m.transcript?.isFinal === false ? [m.transcript.text] : [],
    );
    expect(interims.slice(0, 3)).toEqual(['book', 'book a', 'book a table']);
    // Voice ran 1_000_200–1_001_000 on the capture clock.
    const first = finals(rec)[0]!;
    expect(first.startTsMs).toBe(1_000_200);
    expect(first.endTsMs).toBe(1_001_000);
    expect(first.firstResultServerTsMs).toBeGreaterThan(0);
    // Per utterance, in order (audio fed faster than real time overlaps the two).
    const events = (n: number) =>
      rec.messages.flatMap((m) =>
        m.speechEvent != null && m.speechEvent.utterance === n ? [m.speechEvent.type] : [],
      );
    for (const n of [1, 2]) {
      expect(events(n)).toEqual(['SPEECH_STARTED', 'SPEECH_ENDED', 'END_OF_UTTERANCE']);
    }
    const reqs = fake.requests.slice(before);
    expect(reqs.map((r) => r.fields)).toEqual([
      { model: 'gpt-4o-mini-transcribe', language: 'en', stream: 'true' },
      { model: 'gpt-4o-mini-transcribe', language: 'en', stream: 'true' },
    ]);
    expect(reqs[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(reqs[0]!.sampleRateHz).toBe(16000);
    // The segment holds the speech (with a little pre-roll and the trailing silence).
    expect(reqs[0]!.audioMs).toBeGreaterThanOrEqual(800);
    expect(reqs[0]!.audioMs).toBeLessThan(800 + 200 + 600);
  });

  it('speaches-style streams (one delta per segment, empty done text) and plain JSON answers', async () => {
    speaches.setTranscripts(['hello there', 'and goodbye']);
    const a = open('t-speaches', {}, plainClients);
    for (const audio of utterance(600)) {
      a.call.write({ requestId: 't-speaches', audio });
    }
    await a.rec.next((m) => m.transcript?.isFinal === true);
    a.call.end();
    expect((await a.rec.done()).code).toBe(GrpcStatus.OK);
    expect(finals(a.rec).map((t) => t.text)).toEqual(['hello there']);
    expect(speaches.requests.at(-1)!.fields['model']).toBe('Systran/faster-whisper-small');

    const b = open(
      't-json',
      { 'openai-stt.stream': 'false', 'openai-stt.temperature': '0' },
      plainClients,
    );
    expect((await b.rec.next((m) => m.ready != null)).message.ready!.partialResults).toBe(false);
    for (const audio of utterance(600)) {
      b.call.write({ requestId: 't-json', audio });
    }
    await b.rec.next((m) => m.transcript?.isFinal === true);
    b.call.end();
    expect((await b.rec.done()).code).toBe(GrpcStatus.OK);
    expect(finals(b.rec).map((t) => t.text)).toEqual(['and goodbye']);
    expect(b.rec.messages.some((m) => m.transcript?.isFinal === false)).toBe(false);
    expect(speaches.requests.at(-1)!.fields).toEqual({
      model: 'Systran/faster-whisper-small',
      language: 'en',
      temperature: '0',
    });
  });

  it('Flush cuts the segment mid-speech: the final, then FlushDone; with nothing pending at once', async () => {
    fake.setTranscripts(['still talking']);
    const { call, rec } = open('t-flush');
    await rec.next((m) => m.ready != null);
    call.write({ requestId: 't-flush', flush: { turnId: 'turn-0' } });
    await rec.next((m) => m.flushDone?.turnId === 'turn-0');
    for (const audio of audioChunks([
      ['silence', 200],
      ['voice', 400],
    ])) {
      call.write({ requestId: 't-flush', audio });
    }
    await rec.next((m) => m.speechEvent?.type === 'SPEECH_STARTED');
    call.write({ requestId: 't-flush', flush: { turnId: 'turn-1' } });
    await rec.next((m) => m.flushDone?.turnId === 'turn-1');
    const kinds = rec.messages.map((m) =>
      m.flushDone != null ? 'flushDone' : m.transcript?.isFinal === true ? m.transcript.text : '',
    );
    expect(kinds.filter((k) => k !== '')).toEqual(['flushDone', 'still talking', 'flushDone']);
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
  });

  it('cancel mid-request aborts it: the fake sees the connection close', async () => {
    fake.setTranscripts(['never mind']);
    fake.faults.push({ kind: 'slow', delayMs: 5_000 });
    const before = fake.requests.length;
    const { call, rec } = open('t-cancel');
    for (const audio of utterance(400)) {
      call.write({ requestId: 't-cancel', audio });
    }
    await rec.next((m) => m.speechEvent?.type === 'SPEECH_ENDED');
    await vi.waitFor(() => expect(fake.requests.length).toBeGreaterThan(before), {
      timeout: 10_000,
    });
    call.write({ requestId: 't-cancel', cancel: { reason: 'barge-in' } });
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    await fake.requests[before]!.aborted;
  });

  it('maps provider errors: 429, refused key, an error event in the stream, a dropped connection', async () => {
    const cases: [Parameters<typeof fake.faults.push>[0], GrpcStatus, string][] = [
      [
        {
          kind: 'http',
          status: 429,
          body: openAiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'),
        },
        GrpcStatus.RESOURCE_EXHAUSTED,
        'Rate limit reached for requests',
      ],
      [
        {
          kind: 'stream-error',
          body: openAiError('The server had an error', 'server_error'),
        },
        GrpcStatus.UNAVAILABLE,
        'The server had an error',
      ],
      [{ kind: 'drop' }, GrpcStatus.UNAVAILABLE, 'cannot reach'],
    ];
    for (const [i, [fault, code, text]] of cases.entries()) {
      fake.setTranscripts(['some words here']);
      fake.faults.push(fault);
      const { call, rec } = open(`t-err-${i}`);
      for (const audio of utterance(400)) {
        call.write({ requestId: `t-err-${i}`, audio });
      }
      const s = await rec.done();
      expect([s.code, s.details]).toEqual([code, expect.stringContaining(text)]);
    }
    process.env['OAI_STT_TEST_API_KEY'] = 'sk-wrong-wrong-0123456789';
    try {
      const { call, rec } = open('t-401');
      for (const audio of utterance(400)) {
        call.write({ requestId: 't-401', audio });
      }
      const s = await rec.done();
      expect(s.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(s.details).toContain('Incorrect API key provided');
      expect(s.details).not.toContain('sk-wrong-wrong-0123456789');
    } finally {
      process.env['OAI_STT_TEST_API_KEY'] = KEY;
    }
  });

  it('rejects a config it cannot serve', async () => {
    const call = clients.stt.Recognize();
    const rec = new StreamRecorder<Res>(call);
    call.write({ requestId: 't-bad', config: { encoding: 'MULAW', sampleRateHz: 8000 } });
    const s = await rec.done();
    expect([s.code, s.details]).toEqual([
      GrpcStatus.INVALID_ARGUMENT,
      expect.stringContaining('LINEAR16'),
    ]);
    const b = open('t-bad-opt', { 'openai-stt.Bad-Field': 'x' });
    expect((await b.rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
