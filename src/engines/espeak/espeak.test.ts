import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesisConfig } from '../../generated/voicerelay/v1/SynthesisConfig.js';
import type { SynthesizeResponse__Output } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { rmsDbfs } from '../../media/pcm.js';
import { simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { pidExists } from '../shared/processes.js';
import { isEspeakAvailable } from './engine.js';
import { startEspeakServer, type EspeakServer } from './server.js';

type Res = SynthesizeResponse__Output;
type TtsCall = ReturnType<SimClients['tts']['Synthesize']>;

const available = isEspeakAvailable();
let server: EspeakServer;
let clients: SimClients;

beforeAll(async () => {
  if (available) {
    server = await startEspeakServer();
    clients = simClients(server.address);
  }
});

afterAll(async () => {
  clients?.close();
  await server?.close();
});

function open(
  requestId: string,
  config: Partial<SynthesisConfig> = {},
): { call: TtsCall; rec: StreamRecorder<Res> } {
  const call = clients.tts.Synthesize();
  const rec = new StreamRecorder<Res>(call);
  call.write({
    requestId,
    turnId: 'turn-1',
    config: { encoding: 'LINEAR16', sampleRateHz: 16000, ...config },
  });
  return { call, rec };
}

const audioOf = (rec: StreamRecorder<Res>) =>
  rec.messages.flatMap((m) => (m.kind === 'audio' && m.audio != null ? [m.audio] : []));

async function synthesize(
  requestId: string,
  pieces: string[],
  config: Partial<SynthesisConfig> = {},
): Promise<StreamRecorder<Res>> {
  const { call, rec } = open(requestId, config);
  for (const text of pieces) {
    call.write({ requestId, text: { text } });
  }
  call.end();
  const status = await rec.done(15_000);
  expect(status.code, status.details).toBe(GrpcStatus.OK);
  return rec;
}

const SENTENCE = 'Hello there. The quick brown fox jumps over the lazy dog, twice.';
const LONG_CLAUSE = Array.from(
  { length: 30 },
  (_, i) => `word${i % 2 === 0 ? 'y' : 'ish'} number ${i + 1}`,
).join(' ');

describe.skipIf(!available)('espeak-ng engine', () => {
  it('streams LINEAR16 at the requested rate, its duration following the text', async () => {
    const rec16 = await synthesize('fmt-16k', [SENTENCE]);
    const rec48 = await synthesize('fmt-48k', [SENTENCE], { sampleRateHz: 48000 });
    const short = await synthesize('fmt-short', ['Hello there.']);
    const durationOf = (rec: StreamRecorder<Res>, rate: number) => {
      const chunks = audioOf(rec);
      const bytes = chunks.reduce((n, c) => n + c.audio.length, 0);
      for (const c of chunks) {
        expect(c.durationMs).toBeCloseTo((c.audio.length / 2 / rate) * 1000, 6);
      }
      const done = rec.messages.at(-1);
      expect(done?.kind).toBe('done');
      expect(done?.done?.totalAudioMs).toBeCloseTo((bytes / 2 / rate) * 1000, 6);
      return (bytes / 2 / rate) * 1000;
    };
    const d16 = durationOf(rec16, 16000);
    const d48 = durationOf(rec48, 48000);
    const dShort = durationOf(short, 16000);
    // ~65 characters of English at 175 wpm: a few seconds, not silence.
    expect(d16).toBeGreaterThan(2000);
    expect(d16).toBeLessThan(10000);
    expect(Math.abs(d48 - d16)).toBeLessThan(5); // same speech, resampled
    expect(dShort).toBeLessThan(d16 / 2);
    const all = Buffer.concat(audioOf(rec16).map((c) => c.audio));
    expect(rmsDbfs(all)).toBeGreaterThan(-35);
    // A faster speaking rate gives shorter audio.
    const fast = await synthesize('fmt-fast', [SENTENCE], { speakingRate: 2 });
    expect(durationOf(fast, 16000)).toBeLessThan(d16 * 0.75);
  });

  it('aligns at phrase granularity: spans tile the text and the last chunk ends it', async () => {
    const pieces = ['Hello th', 'ere. The quick brown ', 'fox jumps', ' over the lazy dog, twice.'];
    const text = pieces.join('');
    const rec = await synthesize('align', pieces);
    const chunks = audioOf(rec);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    let prev = 0;
    const ends: number[] = [];
    for (const c of chunks) {
      expect(c.span?.start).toBe(prev);
      expect(c.span!.end).toBeGreaterThanOrEqual(prev);
      if (c.span!.end > prev) {
        ends.push(c.span!.end);
      }
      prev = c.span!.end;
    }
    expect(prev).toBe(text.length);
    expect(chunks.at(-1)?.span?.end).toBe(text.length);
    // Phrase ends: after "Hello there. ", after "lazy dog, " and the end.
    expect(ends).toEqual([text.indexOf('The'), text.indexOf('twice'), text.length]);
    const first = rec.messages[0];
    expect(first?.firstAudioServerTsMs).toBeGreaterThan(0);
    for (const m of rec.messages) {
      expect(m.firstAudioServerTsMs).toBe(first?.firstAudioServerTsMs);
      expect(m.requestId).toBe('align');
    }
  });

  it('streams: the first audio leaves before a long phrase has finished synthesising', async () => {
    const exited = server.engine.waitForProcess(
      'process-exited',
      (e) => e.requestId === 'stream' && e.start === 0,
    );
    const rec = await synthesize('stream', [`${LONG_CLAUSE}.`], { sampleRateHz: 48000 });
    const exit = await exited;
    const first = audioOf(rec)[0];
    expect(first).toBeDefined();
    expect(rec.messages[0]!.firstAudioServerTsMs).toBeLessThan(exit.exitedAtMs);
    expect(audioOf(rec).length).toBeGreaterThan(10);
  });

  it('answers Flush after the audio of the text before it', async () => {
    const { call, rec } = open('flush');
    call.write({ requestId: 'flush', text: { text: 'One two three' } });
    call.write({ requestId: 'flush', turnId: 'f1', flush: { turnId: 'f1' } });
    const flushDone = await rec.next((m) => m.kind === 'flushDone');
    expect(flushDone.message.turnId).toBe('f1');
    const before = audioOf(rec);
    expect(before.at(-1)?.span?.end).toBe('One two three'.length);
    call.write({ requestId: 'flush', text: { text: ' four.' } });
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(audioOf(rec).at(-1)?.span?.end).toBe('One two three four.'.length);
  });

  it('Cancel kills the running espeak-ng process at once', async () => {
    const { call, rec } = open('cancel', { sampleRateHz: 48000 });
    const text = Array.from({ length: 8 }, () => `${LONG_CLAUSE}.`).join(' ');
    call.write({ requestId: 'cancel', text: { text } });
    call.write({ requestId: 'cancel', flush: { turnId: 'x' } });
    await rec.next((m) => m.kind === 'audio');
    // Stop reading: backpressure holds the process mid-phrase.
    call.pause();
    const pids = server.engine.activePids();
    expect(pids).toHaveLength(1);
    const pid = pids[0]!;
    const killed = server.engine.waitForProcess('process-exited', (e) => e.pid === pid);
    call.write({ requestId: 'cancel', cancel: { reason: 'barge-in' } });
    const exit = await killed;
    expect(exit.killed).toBe(true);
    expect(pidExists(pid)).toBe(false);
    call.resume();
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.CANCELLED);
    expect(server.engine.activePids()).toEqual([]);
  });

  it('client cancellation kills the process too', async () => {
    const { call, rec } = open('rpc-cancel', { sampleRateHz: 48000 });
    call.write({ requestId: 'rpc-cancel', text: { text: `${LONG_CLAUSE}. ${LONG_CLAUSE}.` } });
    call.write({ requestId: 'rpc-cancel', flush: { turnId: 'x' } });
    await rec.next((m) => m.kind === 'audio');
    call.pause();
    const [pid] = server.engine.activePids();
    expect(pid).toBeDefined();
    const ended = server.engine.monitor.waitFor('call-ended', (e) => e.requestId === 'rpc-cancel');
    const killed = server.engine.waitForProcess('process-exited', (e) => e.pid === pid);
    call.cancel();
    expect((await ended).outcome).toBe('cancelled');
    expect((await killed).killed).toBe(true);
    expect(pidExists(pid!)).toBe(false);
    expect(server.engine.activePids()).toEqual([]);
  });

  it('rejects non-LINEAR16 encodings and unknown voices with INVALID_ARGUMENT', async () => {
    const { rec } = open('mulaw', { encoding: 'MULAW', sampleRateHz: 8000 });
    expect((await rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const bad = open('voice', { voice: 'nosuchvoice' });
    bad.call.write({ requestId: 'voice', text: { text: 'Hello.' } });
    bad.call.end();
    const status = await bad.rec.done();
    expect(status.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(status.details).toMatch(/voice/i);
    const injected = open('inject', { voice: '--help' });
    expect((await injected.rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
