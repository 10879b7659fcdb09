import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SynthesizeResponse__Output } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { startElevenLabsServer, type ElevenLabsServer } from './server.js';
import { startElevenLabsFake, type ElevenLabsFake } from './test-support/elevenlabs-fake.js';

type Res = SynthesizeResponse__Output;
const KEY = 'xi-test-key-0123456789abcdef';
const MS_PER_CHAR = 60;

let fake: ElevenLabsFake;
let server: ElevenLabsServer;
let clients: SimClients;

beforeAll(async () => {
  fake = await startElevenLabsFake({ key: KEY, msPerChar: MS_PER_CHAR, chunkMs: 200 });
  server = await startElevenLabsServer({ baseUrl: fake.wsUrl, apiKey: KEY });
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

function open(requestId: string, options: Record<string, string> = {}) {
  const call = clients.tts.Synthesize();
  const rec = new StreamRecorder<Res>(call);
  call.write({
    requestId,
    turnId: 'turn-1',
    config: { voice: 'JBFqnCBsd6RMkjVDRZzb', encoding: 'LINEAR16', sampleRateHz: 16000, options },
  });
  return { call, rec };
}

/** Every audio message with the audio time at its end. */
function timeline(rec: StreamRecorder<Res>) {
  let ms = 0;
  return rec.messages.flatMap((m) => {
    if (m.audio == null) {
      return [];
    }
    ms += m.audio.durationMs;
    return [
      {
        endMs: ms,
        start: m.audio.span!.start,
        end: m.audio.span!.end,
        bytes: m.audio.audio.length,
      },
    ];
  });
}

describe('elevenlabs bridge against the fake', () => {
  it('a full turn: audio cut at word ends, spans exact against the character alignment', async () => {
    const { call, rec } = open('el-turn', { 'elevenlabs.stability': '0.5' });
    const parts = ['Sure. Here is a long answer ', 'that keeps going for a while.'];
    for (const text of parts) {
      call.write({ requestId: 'el-turn', text: { text } });
    }
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    const text = parts.join('');
    const t = timeline(rec);
    expect(t.at(-1)!.end).toBe(text.length);
    for (let i = 1; i < t.length; i++) {
      expect(t[i]!.start).toBe(t[i - 1]!.end);
    }
    // A piece that completes a word ends exactly when the word's last character ends.
    const claims = t.filter((p) => p.end > p.start && p.bytes > 0);
    expect(claims.length).toBeGreaterThan(5);
    for (const p of claims) {
      expect(p.endMs).toBeCloseTo(p.end * MS_PER_CHAR, 3);
      expect(p.end === text.length || text[p.end] === ' ').toBe(true);
    }
    const done = rec.messages.find((m) => m.done != null)!.done!;
    expect(done.totalAudioMs).toBeCloseTo(text.length * MS_PER_CHAR, 3);
    const conn = fake.connections.at(-1)!;
    expect(conn.headers['xi-api-key']).toBe(KEY);
    expect(conn.url.searchParams.get('output_format')).toBe('pcm_16000');
    expect(conn.url.searchParams.get('model_id')).toBe('eleven_flash_v2_5');
    expect(conn.messages[0]).toEqual({ text: ' ', voice_settings: { stability: 0.5 } });
    expect(conn.messages.slice(1)).toEqual([
      { text: parts[0], flush: true },
      { text: parts[1], flush: true },
      { text: '' },
    ]);
    expect(rec.messages.every((m) => m.turnId === 'turn-1')).toBe(true);
  });

  it('accepts the other spelling of the durations field', async () => {
    const other = await startElevenLabsFake({ msPerChar: 50, durationsKey: 'charDurationsMs' });
    const s = await startElevenLabsServer({ baseUrl: other.wsUrl });
    const c = simClients(s.address);
    try {
      const call = c.tts.Synthesize();
      const rec = new StreamRecorder<Res>(call);
      call.write({
        requestId: 'el-alt',
        config: { voice: 'v1', encoding: 'LINEAR16', sampleRateHz: 24000 },
      });
      call.write({ requestId: 'el-alt', text: { text: 'one two three' } });
      call.end();
      expect((await rec.done()).code).toBe(GrpcStatus.OK);
      const t = timeline(rec).filter((p) => p.end > p.start && p.bytes > 0);
      expect(t.map((p) => [p.end, Math.round(p.endMs)])).toEqual([
        [3, 150],
        [7, 350],
        [13, 650],
      ]);
    } finally {
      c.close();
      await s.close();
      await other.close();
    }
  });

  it('Flush answers FlushDone once the audio covers the text sent', async () => {
    const { call, rec } = open('el-flush');
    call.write({ requestId: 'el-flush', text: { text: 'Hello there. ' } });
    call.write({ requestId: 'el-flush', flush: { turnId: 'turn-1' } });
    const done = await rec.next((m) => m.flushDone != null);
    expect(done.message.flushDone!.turnId).toBe('turn-1');
    const t = timeline(rec);
    expect(t.at(-1)!.end).toBe('Hello there.'.length);
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
  });

  it('cancel mid-stream closes the socket: the fake sees the client close', async () => {
    const slow = await startElevenLabsFake({ chunkIntervalMs: 50 });
    const s = await startElevenLabsServer({ baseUrl: slow.wsUrl });
    const c = simClients(s.address);
    try {
      const call = c.tts.Synthesize();
      const rec = new StreamRecorder<Res>(call);
      call.write({
        requestId: 'el-cancel',
        config: { voice: 'v1', encoding: 'LINEAR16', sampleRateHz: 16000 },
      });
      call.write({
        requestId: 'el-cancel',
        text: { text: 'a rather long sentence that takes some time to say' },
      });
      await rec.next((m) => m.audio != null);
      call.write({ requestId: 'el-cancel', cancel: { reason: 'barge-in' } });
      expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
      const conn = slow.connections.at(-1)!;
      expect(await conn.closed).toMatchObject({ byClient: true });
    } finally {
      c.close();
      await s.close();
      await slow.close();
    }
  });

  it('maps provider errors: error message + 1008, refused key, dropped connection', async () => {
    fake.faults.push({
      kind: 'error',
      afterTexts: 1,
      error: 'max_active_conversations',
      message: 'You have too many active conversations.',
    });
    const a = open('el-err');
    a.call.write({ requestId: 'el-err', text: { text: 'Hello. ' } });
    const s1 = await a.rec.done();
    expect(s1.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(s1.details).toBe(
      'elevenlabs error max_active_conversations: You have too many active conversations.',
    );

    const bad = await startElevenLabsServer({ baseUrl: fake.wsUrl, apiKey: 'not-the-key-000000' });
    const c = simClients(bad.address);
    try {
      const call = c.tts.Synthesize();
      const rec = new StreamRecorder<Res>(call);
      call.write({
        requestId: 'el-401',
        config: { voice: 'v1', encoding: 'LINEAR16', sampleRateHz: 16000 },
      });
      const s2 = await rec.done();
      expect(s2.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(s2.details).toContain('Invalid API key (invalid_api_key)');
      expect(s2.details).not.toContain('not-the-key-000000');
    } finally {
      c.close();
      await bad.close();
    }

    fake.faults.push({ kind: 'drop', afterChunks: 1 });
    const d = open('el-drop');
    d.call.write({
      requestId: 'el-drop',
      text: { text: 'A sentence long enough for two chunks. ' },
    });
    expect((await d.rec.done()).code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it('rejects an output it cannot produce', async () => {
    const call = clients.tts.Synthesize();
    const rec = new StreamRecorder<Res>(call);
    call.write({
      requestId: 'el-bad',
      config: { voice: 'v1', encoding: 'MULAW', sampleRateHz: 16000 },
    });
    const s = await rec.done();
    expect(s.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    await vi.waitFor(() => expect(server.engine.monitor.stats.active).toBe(0));
  });
});
