import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecognitionConfig } from '../../generated/voicerelay/v1/RecognitionConfig.js';
import type { RecognizeResponse__Output } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { isEspeakAvailable } from '../espeak/engine.js';
import { simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { pidExists } from '../shared/processes.js';
import { feedChunks, speechScript, toChunks } from '../shared/test-speech.js';
import { isPocketsphinxAvailable } from './engine.js';
import { startPocketsphinxServer, type PocketsphinxServer } from './server.js';

type Res = RecognizeResponse__Output;
type SttCall = ReturnType<SimClients['stt']['Recognize']>;

const GRAMMAR = `#JSGF V1.0;
grammar demo;
public <command> = what is the weather today | turn on the lights | good morning | hello world;
`;
const available = isPocketsphinxAvailable() && isEspeakAvailable();
const SPEED = 4;

let server: PocketsphinxServer;
let clients: SimClients;
let tmp: string;

beforeAll(async () => {
  if (available) {
    tmp = await mkdtemp(join(tmpdir(), 'ps-test-'));
    server = await startPocketsphinxServer({ tmpDir: tmp });
    clients = simClients(server.address);
  }
});

afterAll(async () => {
  clients?.close();
  await server?.close();
  if (tmp !== undefined) {
    await rm(tmp, { recursive: true, force: true });
  }
});

function open(
  requestId: string,
  config: Partial<RecognitionConfig> = {},
): { call: SttCall; rec: StreamRecorder<Res> } {
  const call = clients.stt.Recognize();
  const rec = new StreamRecorder<Res>(call);
  call.write({
    requestId,
    config: { encoding: 'LINEAR16', sampleRateHz: 16000, grammar: GRAMMAR, ...config },
  });
  return { call, rec };
}

const finals = (rec: StreamRecorder<Res>) =>
  rec.messages.flatMap((m) => (m.transcript?.isFinal === true ? [m.transcript] : []));

async function feed(
  call: SttCall,
  requestId: string,
  pcm: Buffer,
  rate: number,
  startTsMs: number,
) {
  await feedChunks(
    toChunks(pcm, rate, { startTsMs }),
    (audio) => call.write({ requestId, audio }),
    { speed: SPEED },
  );
}

describe.skipIf(!available)('pocketsphinx engine', () => {
  it('transcribes espeak-ng speech exactly with a JSGF grammar, one final per utterance', async () => {
    const { call, rec } = open('two');
    const pcm = await speechScript(
      [
        { silenceMs: 500 },
        'what is the weather today',
        { silenceMs: 1000 },
        'turn on the lights',
        { silenceMs: 1000 },
      ],
      16000,
    );
    const ready = await rec.next((m) => m.kind === 'ready');
    expect(ready.message.ready).toMatchObject({
      partialResults: false,
      grammar: true,
      engine: 'pocketsphinx',
    });
    expect(rec.messages[0]?.kind).toBe('ready');
    await feed(call, 'two', pcm, 16000, 1_000_000);
    await rec.count((m) => m.transcript?.isFinal === true, 2, 60_000);
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    const [a, b] = finals(rec);
    expect([a?.text, b?.text]).toEqual(['what is the weather today', 'turn on the lights']);
    expect([a?.utterance, b?.utterance]).toEqual([1, 2]);
    expect(a?.stability).toBe(1);
    expect(a?.firstResultServerTsMs).toBeGreaterThan(0);
    // Word times map back to the capture clock: speech starts after the 500 ms lead-in.
    expect(a!.startTsMs).toBeGreaterThan(1_000_400);
    expect(a!.endTsMs).toBeGreaterThan(a!.startTsMs + 500);
    expect(b!.startTsMs).toBeGreaterThan(a!.endTsMs + 800);
    const kinds = rec.messages.map((m) => m.speechEvent?.type ?? m.kind);
    const firstFinal = kinds.indexOf('transcript');
    expect(kinds.slice(firstFinal - 2, firstFinal)).toEqual(['SPEECH_ENDED', 'END_OF_UTTERANCE']);
    for (const m of rec.messages) {
      expect(m.requestId).toBe('two');
    }
  }, 90_000);

  it('recovers from a decoder killed mid-call on the next utterance and counts it', async () => {
    const before = server.engine.monitor.stats.decoderRestarts;
    const first = await speechScript(['good morning', { silenceMs: 1000 }], 16000);
    const second = await speechScript(
      [{ silenceMs: 300 }, 'hello world', { silenceMs: 1000 }],
      16000,
    );
    const decoder = server.engine.waitForDecoder('decoder-started', (d) => d.requestId === 'kill');
    const { call, rec } = open('kill');
    const started = await decoder;
    await feed(call, 'kill', first, 16000, 2_000_000);
    await rec.count((m) => m.transcript?.isFinal === true, 1);
    const exited = server.engine.waitForDecoder('decoder-exited', (d) => d.pid === started.pid);
    process.kill(started.pid, 'SIGKILL');
    const exit = await exited;
    expect(exit.expected).toBe(false);
    expect(pidExists(started.pid)).toBe(false);
    const restarted = server.engine.waitForDecoder(
      'decoder-restarted',
      (d) => d.requestId === 'kill',
    );
    await feed(call, 'kill', second, 16000, 2_100_000);
    const respawned = await restarted;
    expect(respawned.pid).not.toBe(started.pid);
    await rec.count((m) => m.transcript?.isFinal === true, 2, 60_000);
    expect(finals(rec).map((t) => [t.text, t.utterance])).toEqual([
      ['good morning', 1],
      ['hello world', 2],
    ]);
    expect(server.engine.monitor.stats.decoderRestarts).toBe(before + 1);
    // Cancel kills the decoder and removes the stream's folder.
    const killed = server.engine.waitForDecoder('decoder-exited', (d) => d.pid === respawned.pid);
    call.write({ requestId: 'kill', cancel: { reason: 'done' } });
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    expect((await killed).expected).toBe(true);
    expect(pidExists(respawned.pid)).toBe(false);
    expect(server.engine.decoderPids()).toEqual([]);
  }, 90_000);

  it('Flush finalises the utterance in progress, then answers FlushDone', async () => {
    const { call, rec } = open('flush', { sampleRateHz: 48000 });
    // 48 kHz input is resampled to 16 kHz; no trailing silence: only the flush ends it.
    const pcm = await speechScript([{ silenceMs: 300 }, 'turn on the lights'], 48000);
    await feed(call, 'flush', pcm, 48000, 3_000_000);
    call.write({ requestId: 'flush', flush: { turnId: 't9' } });
    const done = await rec.next((m) => m.kind === 'flushDone', 60_000);
    expect(done.message.turnId).toBe('t9');
    expect(finals(rec).map((t) => t.text)).toEqual(['turn on the lights']);
    const kinds = rec.messages.map((m) => m.kind);
    expect(kinds.indexOf('transcript')).toBeLessThan(kinds.indexOf('flushDone'));
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
  }, 90_000);

  it('leaves no decoder or file behind once calls ended', async () => {
    const decoder = server.engine.waitForDecoder(
      'decoder-started',
      (d) => d.requestId === 'cleanup',
    );
    const { call, rec } = open('cleanup');
    const started = await decoder;
    const exited = server.engine.waitForDecoder('decoder-exited', (d) => d.pid === started.pid);
    const cleaned = server.engine.waitForDecoder(
      'stream-cleaned',
      (e) => e.requestId === 'cleanup',
    );
    call.cancel();
    await exited;
    expect(pidExists(started.pid)).toBe(false);
    await rec.done();
    expect(existsSync((await cleaned).dir)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(tmp)).toBe(true);
  });

  it('rejects bad configs with INVALID_ARGUMENT', async () => {
    const mulaw = open('mulaw', { encoding: 'MULAW', sampleRateHz: 8000 });
    expect((await mulaw.rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const badGrammar = open('grammar', { grammar: 'this is not jsgf' });
    const status = await badGrammar.rec.done();
    expect(status.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(status.details).toMatch(/grammar/);
  });
});
