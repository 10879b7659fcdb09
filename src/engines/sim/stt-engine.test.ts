import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../core/clock.js';
import type { RecognitionConfig } from '../../generated/voicerelay/v1/RecognitionConfig.js';
import type { RecognizeResponse__Output } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { startSimServer, type SimServer } from './server.js';
import { SIM_WORDS } from './stt-transcripts.js';
import {
  audioChunks,
  simClients,
  simProfileMetadata,
  StreamRecorder,
  type AudioSegment,
  type SimClients,
} from './test-support.js';

const T0 = 1_000_000;
type Res = RecognizeResponse__Output;

let server: SimServer;
let clients: SimClients;

beforeAll(async () => {
  server = await startSimServer({ engines: ['stt'] });
  clients = simClients(server.address);
});

afterAll(async () => {
  clients.close();
  await server.close();
});

function open(
  requestId: string,
  config: Partial<RecognitionConfig> = {},
  metadata?: Metadata,
): { call: ReturnType<SimClients['stt']['Recognize']>; rec: StreamRecorder<Res> } {
  const call = metadata === undefined ? clients.stt.Recognize() : clients.stt.Recognize(metadata);
  const rec = new StreamRecorder<Res>(call);
  call.write({ requestId, config: { encoding: 'LINEAR16', sampleRateHz: 16000, ...config } });
  return { call, rec };
}

function sendAudio(
  call: ReturnType<SimClients['stt']['Recognize']>,
  segments: AudioSegment[],
  startTsMs = T0,
): void {
  for (const audio of audioChunks(segments, { startTsMs })) {
    call.write({ audio });
  }
}

const isEvent =
  (type: string, utterance = 1) =>
  (m: Res) =>
    m.speechEvent?.type === type && m.speechEvent.utterance === utterance;
const isFinal =
  (utterance = 1) =>
  (m: Res) =>
    m.transcript?.isFinal === true && m.transcript.utterance === utterance;
const isPartial = (m: Res) => m.transcript?.isFinal === false;

describe('sim STT', () => {
  it('answers ready first, then detects speech and the endpoint with capture timestamps', async () => {
    const { call, rec } = open('stt-basic');
    sendAudio(call, [
      ['silence', 100],
      ['voice', 1000],
      ['silence', 480],
    ]);
    const writtenMs = nowMs();
    sendAudio(call, [['silence', 20]], T0 + 1580);
    const final = await rec.next(isFinal());
    const messages = rec.messages;
    expect(messages[0]?.kind).toBe('ready');
    expect(messages[0]?.ready).toMatchObject({
      partialResults: true,
      speechEvents: true,
      engine: 'sim',
      audioProgress: true,
    });
    const started = (await rec.next(isEvent('SPEECH_STARTED'))).message.speechEvent;
    const ended = (await rec.next(isEvent('SPEECH_ENDED'))).message;
    const eou = (await rec.next(isEvent('END_OF_UTTERANCE'))).message;
    expect(started?.audioTsMs).toBe(T0 + 100);
    expect(ended.speechEvent?.audioTsMs).toBe(T0 + 1100);
    expect(eou.speechEvent?.audioTsMs).toBe(T0 + 1600);
    const progress = messages.filter((m) => m.kind === 'progress');
    expect(
      messages.filter((m) => m.kind !== 'progress').map((m) => m.speechEvent?.type ?? m.kind),
    ).toEqual(['ready', 'SPEECH_STARTED', 'SPEECH_ENDED', 'END_OF_UTTERANCE', 'transcript']);
    // 80 audio chunks read: progress every 25 of them.
    expect(progress.map((m) => m.progress?.audioMessages)).toEqual([25, 50, 75]);
    expect(final.message.transcript).toMatchObject({
      text: 'alpha bravo charlie delta',
      isFinal: true,
      stability: 1,
      startTsMs: T0 + 100,
      endTsMs: T0 + 1100,
      utterance: 1,
    });
    expect(final.message.requestId).toBe('stt-basic');
    // The final goes out finalDelayMs (100) after the deciding chunk arrived.
    expect(final.atMs - writtenMs).toBeGreaterThanOrEqual(100);
    // EOU goes out on arrival (plus processing), the final 100 ms after that arrival.
    expect(final.message.serverTsMs - eou.serverTsMs).toBeGreaterThanOrEqual(90);
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
  });

  it('numbers utterances and picks word-list transcripts deterministically', async () => {
    const { call, rec } = open('stt-words');
    sendAudio(call, [
      ['voice', 1000],
      ['silence', 500],
      ['voice', 500],
      ['silence', 500],
    ]);
    const first = await rec.next(isFinal(1));
    const second = await rec.next(isFinal(2));
    expect(first.message.transcript?.text).toBe('alpha bravo charlie delta');
    expect(second.message.transcript?.text).toBe(`${SIM_WORDS[7]} ${SIM_WORDS[8]}`);
    expect(second.message.transcript?.startTsMs).toBe(T0 + 1500);
    call.end();
    await rec.done();
  });

  it('uses the transcripts option (JSON array or | list), cycling', async () => {
    const json = open('stt-json', { options: { transcripts: '["Hello there.", "How are you?"]' } });
    sendAudio(json.call, [
      ['voice', 200],
      ['silence', 500],
      ['voice', 200],
      ['silence', 500],
      ['voice', 200],
      ['silence', 500],
    ]);
    const texts = (await json.rec.count((m) => m.transcript?.isFinal === true, 3)).map(
      (r) => r.message.transcript?.text,
    );
    expect(texts).toEqual(['Hello there.', 'How are you?', 'Hello there.']);
    json.call.end();
    const piped = open('stt-pipe', { options: { transcripts: 'yes please|no' } });
    sendAudio(piped.call, [
      ['voice', 200],
      ['silence', 500],
      ['voice', 200],
      ['silence', 500],
    ]);
    const pipedTexts = (await piped.rec.count((m) => m.transcript?.isFinal === true, 2)).map(
      (r) => r.message.transcript?.text,
    );
    expect(pipedTexts).toEqual(['yes please', 'no']);
    piped.call.end();
    await Promise.all([json.rec.done(), piped.rec.done()]);
  });

  it('sends interim results every partialCadenceMs of voiced audio, as prefixes of the final', async () => {
    const { call, rec } = open('stt-partials', { interimResults: true });
    sendAudio(call, [
      ['voice', 1000],
      ['silence', 500],
    ]);
    const final = (await rec.next(isFinal())).message.transcript;
    const partials = rec.messages.filter(isPartial).map((m) => m.transcript);
    expect(partials.map((p) => p?.text)).toEqual([
      'alpha',
      'alpha bravo',
      'alpha bravo',
      'alpha bravo charlie',
      'alpha bravo charlie delta',
    ]);
    expect(partials.map((p) => p?.endTsMs)).toEqual([200, 400, 600, 800, 1000].map((v) => T0 + v));
    for (const p of partials) {
      expect(p?.stability).toBeLessThan(1);
      expect(final?.text.startsWith(p?.text ?? '?')).toBe(true);
      expect(p?.firstResultServerTsMs).toBe(final?.firstResultServerTsMs);
    }
    const firstPartial = rec.messages.find(isPartial);
    expect(final?.firstResultServerTsMs).toBeLessThanOrEqual(firstPartial?.serverTsMs ?? 0);
    call.end();
    await rec.done();
  });

  it('honours endpointing overrides and ignores voiced runs shorter than min speech', async () => {
    const { call, rec } = open('stt-endpointing', {
      endpointing: { silenceMs: 200, minSpeechMs: 100 },
    });
    sendAudio(call, [
      ['voice', 80],
      ['silence', 300],
      ['voice', 400],
      ['silence', 200],
    ]);
    const eou = await rec.next(isEvent('END_OF_UTTERANCE'));
    const started = await rec.next(isEvent('SPEECH_STARTED'));
    expect(started.message.speechEvent?.audioTsMs).toBe(T0 + 380);
    expect(eou.message.speechEvent?.audioTsMs).toBe(T0 + 980);
    call.end();
    await rec.done();
    expect(rec.messages.filter((m) => m.speechEvent?.type === 'SPEECH_STARTED')).toHaveLength(1);
  });

  it('forces an utterance end after max_utterance_ms', async () => {
    const { call, rec } = open('stt-max', { endpointing: { maxUtteranceMs: 500 } });
    sendAudio(call, [
      ['voice', 1000],
      ['silence', 500],
    ]);
    const first = await rec.next(isFinal(1));
    const second = await rec.next(isFinal(2));
    expect(first.message.transcript).toMatchObject({ startTsMs: T0, endTsMs: T0 + 500 });
    expect(second.message.transcript).toMatchObject({ startTsMs: T0 + 500, endTsMs: T0 + 1000 });
    call.end();
    await rec.done();
  });

  it('Flush finalises the current utterance at once and answers FlushDone', async () => {
    const { call, rec } = open('stt-flush');
    sendAudio(call, [['voice', 400]]);
    call.write({ flush: { turnId: 'turn-7' } });
    const done = await rec.next((m) => m.kind === 'flushDone');
    expect(done.message.flushDone?.turnId).toBe('turn-7');
    expect(done.message.turnId).toBe('turn-7');
    const kinds = rec.messages.map((m) => m.speechEvent?.type ?? m.kind);
    expect(kinds).toEqual(['ready', 'SPEECH_STARTED', 'SPEECH_ENDED', 'transcript', 'flushDone']);
    expect(rec.messages[3]?.transcript).toMatchObject({ isFinal: true, endTsMs: T0 + 400 });
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
  });

  it('Flush sends a pending final without waiting for finalDelayMs', async () => {
    const { call, rec } = open(
      'stt-flush-pending',
      {},
      simProfileMetadata({ finalDelayMs: 60_000 }),
    );
    sendAudio(call, [
      ['voice', 300],
      ['silence', 500],
    ]);
    await rec.next(isEvent('END_OF_UTTERANCE'));
    call.write({ flush: { turnId: 't' } });
    await rec.next((m) => m.kind === 'flushDone');
    const kinds = rec.messages.map((m) => m.speechEvent?.type ?? m.kind);
    expect(kinds.slice(-2)).toEqual(['transcript', 'flushDone']);
    call.end();
    await rec.done();
  });

  it('half-close finalises the utterance and ends OK', async () => {
    const { call, rec } = open('stt-halfclose');
    sendAudio(call, [['voice', 500]]);
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(rec.messages.at(-1)?.transcript).toMatchObject({ isFinal: true, text: 'alpha bravo' });
  });

  it('a Cancel request ends the call with CANCELLED and the server counts it', async () => {
    const observed = server.stt.waitFor('call-cancelled', (e) => e.requestId === 'stt-cancel-msg');
    const before = server.stt.stats.cancelled;
    const { call, rec } = open('stt-cancel-msg');
    sendAudio(call, [['voice', 200]]);
    call.write({ cancel: { reason: 'barge-in' } });
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    expect((await observed).via).toBe('message');
    expect(server.stt.stats.cancelled).toBe(before + 1);
  });

  it('the server observes a client cancellation', async () => {
    const observed = server.stt.waitFor('call-cancelled', (e) => e.requestId === 'stt-cancel-rpc');
    const ended = server.stt.waitFor('call-ended', (e) => e.requestId === 'stt-cancel-rpc');
    const { call, rec } = open('stt-cancel-rpc');
    await rec.next((m) => m.kind === 'ready');
    call.cancel();
    expect((await observed).via).toBe('client');
    expect((await ended).outcome).toBe('cancelled');
  });

  it('rejects a stream that does not start with a LINEAR16 config', async () => {
    const noConfig = clients.stt.Recognize();
    const rec1 = new StreamRecorder<Res>(noConfig);
    noConfig.write({ requestId: 'bad-1', audio: audioChunks([['voice', 20]])[0]! });
    expect((await rec1.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const { rec } = open('bad-2', { encoding: 'MULAW' });
    expect((await rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const failed = open('bad-3', { options: { transcripts: '[1, 2' } });
    expect((await failed.rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
