import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../core/clock.js';
import type { SynthesisConfig } from '../../generated/voicerelay/v1/SynthesisConfig.js';
import type { SynthesizeResponse__Output } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { rmsDbfs } from '../../media/pcm.js';
import { startSimServer, type SimServer } from './server.js';
import { simClients, simProfileMetadata, StreamRecorder, type SimClients } from './test-support.js';

type Res = SynthesizeResponse__Output;
type TtsCall = ReturnType<SimClients['tts']['Synthesize']>;

let server: SimServer;
let clients: SimClients;

beforeAll(async () => {
  server = await startSimServer({ engines: ['tts'] });
  clients = simClients(server.address);
});

afterAll(async () => {
  clients.close();
  await server.close();
});

function open(
  requestId: string,
  metadata?: Metadata,
  config: Partial<SynthesisConfig> = {},
): { call: TtsCall; rec: StreamRecorder<Res> } {
  const call = metadata === undefined ? clients.tts.Synthesize() : clients.tts.Synthesize(metadata);
  const rec = new StreamRecorder<Res>(call);
  call.write({
    requestId,
    turnId: 'turn-1',
    config: { encoding: 'LINEAR16', sampleRateHz: 16000, ...config },
  });
  return { call, rec };
}

const audioOf = (rec: StreamRecorder<Res>) => rec.messages.filter((m) => m.kind === 'audio');

/** Deterministic pseudo-random split of a text into pieces (xorshift). */
function split(text: string, seed: number): string[] {
  let x = seed;
  const pieces: string[] = [];
  for (let i = 0; i < text.length;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = 1 + (Math.abs(x) % 7);
    pieces.push(text.slice(i, i + n));
    i += n;
  }
  return pieces;
}

/** Check the alignment contract of tts.proto on the audio of a whole stream. */
function checkAlignment(text: string, audio: Res[], rate: number, msPerChar: number): void {
  const samplesAt = (offset: number): number => Math.round((offset * msPerChar * rate) / 1000);
  let prevEnd = 0;
  let prevSamples = 0;
  const chunkEnds: { samples: number; end: number; prevSamples: number }[] = [];
  for (const [i, m] of audio.entries()) {
    const out = m.audio!;
    expect(out.seq).toBe(i);
    expect(out.span?.start).toBe(prevEnd);
    const end = out.span?.end ?? -1;
    expect(end).toBeGreaterThanOrEqual(prevEnd);
    const samples = prevSamples + out.audio.length / 2;
    expect(out.durationMs).toBeCloseTo(((out.audio.length / 2) * 1000) / rate, 9);
    // Once this chunk has played, every character before `end` has been spoken completely.
    expect(samplesAt(end)).toBeLessThanOrEqual(samples);
    chunkEnds.push({ samples, end, prevSamples });
    prevEnd = end;
    prevSamples = samples;
  }
  expect(prevEnd).toBe(text.length);
  expect(prevSamples).toBe(samplesAt(text.length));
  // A word's end offset first appears on the chunk holding the word's last sample.
  for (const match of text.matchAll(/\S+/g)) {
    const wordEnd = match.index + match[0].length;
    const lastSample = samplesAt(wordEnd) - 1;
    const holder = chunkEnds.find((c) => c.prevSamples <= lastSample && lastSample < c.samples);
    const first = chunkEnds.find((c) => c.end >= wordEnd);
    expect(first).toBe(holder);
  }
}

describe('sim TTS', () => {
  const texts = [
    'Hello world, how are you today?',
    'Short.',
    'A sentence  with double  spaces and\ttabs, then punctuation!',
    'Supercalifragilisticexpialidocious is a long word indeed.',
  ];

  it.each([
    [16000, 60, 100],
    [22050, 65, 40],
    [8000, 45, 20],
  ])(
    'aligns exactly with text arriving in pieces (rate %i, %i ms/char, %i ms chunks)',
    async (rate, msPerChar, chunkMs) => {
      const md = simProfileMetadata({ firstAudioMs: 0, realTimeFactor: 0, msPerChar, chunkMs });
      for (const [t, text] of texts.entries()) {
        const { call, rec } = open(`tts-align-${rate}-${t}`, md, { sampleRateHz: rate });
        for (const piece of split(text, 17 + t)) {
          call.write({ text: { text: piece } });
        }
        call.end();
        expect((await rec.done()).code).toBe(GrpcStatus.OK);
        const audio = audioOf(rec);
        checkAlignment(text, audio, rate, msPerChar);
        const chunkSamples = Math.round((chunkMs * rate) / 1000);
        expect(audio.slice(0, -1).every((m) => m.audio!.audio.length === chunkSamples * 2)).toBe(
          true,
        );
        const done = rec.messages.at(-1)?.done;
        expect(done?.totalAudioMs).toBeCloseTo(
          (Math.round((text.length * msPerChar * rate) / 1000) * 1000) / rate,
          6,
        );
      }
    },
  );

  it('produces audio duration from the text, voiced for words and silent for spaces', async () => {
    const { call, rec } = open(
      'tts-audio',
      simProfileMetadata({ firstAudioMs: 0, realTimeFactor: 0 }),
    );
    call.write({ text: { text: 'ab cd' } });
    call.end();
    await rec.done();
    const pcm = Buffer.concat(audioOf(rec).map((m) => m.audio!.audio));
    expect(pcm.length / 2).toBe(5 * 960);
    expect(rmsDbfs(pcm.subarray(0, 2 * 1920))).toBeGreaterThan(-40);
    expect(rmsDbfs(pcm.subarray(2 * 1920, 2 * 2880))).toBe(-Infinity);
    expect(rec.messages.at(-1)?.done?.totalAudioMs).toBe(300);
  });

  it('paces audio: first audio firstAudioMs after the first text, then realTimeFactor', async () => {
    const { call, rec } = open('tts-pacing');
    await server.tts.waitFor('call-started', (e) => e.requestId === 'tts-pacing');
    const firstTextMs = nowMs();
    call.write({ text: { text: 'Pacing test with a few words in it.' } });
    call.write({ flush: { turnId: 'flush-1' } });
    const flushDone = await rec.next((m) => m.kind === 'flushDone');
    const audio = rec.received.filter((r) => r.message.kind === 'audio');
    expect(audio[0]!.atMs - firstTextMs).toBeGreaterThanOrEqual(100);
    const first = audio[0]!.message;
    audio.forEach((r, k) => {
      expect(r.message.firstAudioServerTsMs).toBe(first.firstAudioServerTsMs);
      // Chunk k is due firstAudioMs + k · 100 ms · 0.2 after the text arrived (absolute
      // schedule): never earlier. How much later depends on the machine's load, so the
      // upper bound only catches a schedule off by an order of magnitude.
      const offset = r.message.serverTsMs - firstTextMs;
      expect(offset).toBeGreaterThanOrEqual(100 + k * 20);
      expect(offset).toBeLessThan(100 + k * 20 + 20_000);
    });
    // FlushDone follows all audio of the text received before the Flush.
    expect(flushDone.message.flushDone?.turnId).toBe('flush-1');
    expect(flushDone.message.turnId).toBe('flush-1');
    expect(rec.messages.indexOf(flushDone.message)).toBe(audio.length);
    const flushedMs = audio.reduce((ms, r) => ms + r.message.audio!.durationMs, 0);
    expect(flushedMs).toBe(35 * 60);
    // Later text is queued after the earlier audio; half-close finishes with done.
    call.write({ text: { text: ' More.' } });
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    const all = audioOf(rec);
    expect(all.at(-1)?.audio?.span?.end).toBe(41);
    expect(rec.messages.at(-1)?.done?.totalAudioMs).toBe(41 * 60);
    expect(rec.messages.every((m) => m.requestId === 'tts-pacing')).toBe(true);
  });

  it('a Flush in the middle of a word makes the word so far a complete unit', async () => {
    const md = simProfileMetadata({ firstAudioMs: 0, realTimeFactor: 0 });
    const { call, rec } = open('tts-midword', md);
    call.write({ text: { text: 'Hel' } });
    call.write({ flush: { turnId: 'f' } });
    await rec.next((m) => m.kind === 'flushDone');
    expect(audioOf(rec).at(-1)?.audio?.span?.end).toBe(3);
    call.write({ text: { text: 'lo there' } });
    call.end();
    await rec.done();
    expect(audioOf(rec).at(-1)?.audio?.span?.end).toBe(11);
  });

  it('speaking_rate scales the audio duration', async () => {
    const md = simProfileMetadata({ firstAudioMs: 0, realTimeFactor: 0 });
    const { call, rec } = open('tts-rate', md, { speakingRate: 2 });
    call.write({ text: { text: 'four' } });
    call.end();
    await rec.done();
    expect(rec.messages.at(-1)?.done?.totalAudioMs).toBe(120);
  });

  it('a Cancel request stops at once with CANCELLED', async () => {
    const observed = server.tts.waitFor('call-cancelled', (e) => e.requestId === 'tts-cancel');
    const { call, rec } = open(
      'tts-cancel',
      simProfileMetadata({ firstAudioMs: 0, realTimeFactor: 1 }),
    );
    call.write({ text: { text: 'A fairly long sentence that takes a while to say out loud.' } });
    await rec.next((m) => m.kind === 'audio');
    call.write({ cancel: { reason: 'barge-in' } });
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    expect((await observed).via).toBe('message');
    expect(audioOf(rec).length).toBeLessThan(10);
  });

  it('the server observes a client cancellation mid-synthesis', async () => {
    const observed = server.tts.waitFor('call-cancelled', (e) => e.requestId === 'tts-cancel-rpc');
    const ended = server.tts.waitFor('call-ended', (e) => e.requestId === 'tts-cancel-rpc');
    const { call, rec } = open(
      'tts-cancel-rpc',
      simProfileMetadata({ firstAudioMs: 0, realTimeFactor: 1 }),
    );
    call.write({ text: { text: 'Another long sentence, spoken slowly. ' } });
    await rec.next((m) => m.kind === 'audio');
    call.cancel();
    expect((await observed).via).toBe('client');
    expect((await ended).outcome).toBe('cancelled');
  });

  it('rejects bad configs and too much text', async () => {
    const mulaw = open('tts-mulaw', undefined, { encoding: 'MULAW' });
    expect((await mulaw.rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const noConfig = clients.tts.Synthesize();
    const rec = new StreamRecorder<Res>(noConfig);
    noConfig.write({ requestId: 'tts-noconfig', text: { text: 'hi' } });
    expect((await rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const big = open('tts-big', simProfileMetadata({ maxTextChars: 10 }));
    big.call.write({ text: { text: 'twelve chars' } });
    expect((await big.rec.done()).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  });
});
