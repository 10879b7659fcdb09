import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesizeResponse__Output } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import {
  RATE_LIMIT_BODY,
  startFixtureServer,
  writeJsonError,
  type FixtureServer,
} from '../openai/fixtures.js';
import { simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { tonePcm } from '../speech-bridge/test-support/fake-server.js';
import { startOpenAiSpeechServer, type OpenAiSpeechServer } from './server.js';

type Res = SynthesizeResponse__Output;
const MS_PER_CHAR = 40;

let upstream: FixtureServer;
let server: OpenAiSpeechServer;
let clients: SimClients;

beforeAll(async () => {
  upstream = await startFixtureServer();
  server = await startOpenAiSpeechServer({
    baseUrl: upstream.baseUrl,
    apiKey: 'sk-speech-0123456789',
  });
  clients = simClients(server.address);
});
afterAll(async () => {
  clients.close();
  await server.close();
  await upstream.close();
});

/** An OpenAI speech response: headerless 24 kHz s16le in 100 ms chunks, `gapMs` apart. */
function speak(gapMs = 0) {
  upstream.handler = async (req, res) => {
    const pcm = tonePcm(String(req.body['input']).length * MS_PER_CHAR, 24000);
    res.writeHead(200, { 'content-type': 'audio/pcm' });
    for (let off = 0; off < pcm.length; off += 4800) {
      if (res.destroyed) {
        return;
      }
      res.write(pcm.subarray(off, off + 4800));
      await new Promise((r) => setTimeout(r, gapMs));
    }
    res.end();
  };
}

function open(requestId: string) {
  const call = clients.tts.Synthesize();
  const rec = new StreamRecorder<Res>(call);
  call.write({ requestId, config: { voice: 'coral', encoding: 'LINEAR16', sampleRateHz: 16000 } });
  return { call, rec };
}

describe('OpenAI-compatible speech bridge against a fake', () => {
  it('a full turn: one request per phrase, resampled PCM, spans exact per phrase', async () => {
    speak();
    const { call, rec } = open('s-turn');
    const phrases = ['Hello there. ', 'How are you?'];
    for (const text of phrases) {
      call.write({ requestId: 's-turn', text: { text } });
    }
    call.end();
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(upstream.requests.map((r) => r.body)).toEqual(
      phrases.map((input) => ({
        model: 'gpt-4o-mini-tts',
        voice: 'coral',
        response_format: 'pcm',
        input,
      })),
    );
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-speech-0123456789');
    let ms = 0;
    const claims: [number, number][] = [];
    for (const m of rec.messages) {
      if (m.audio != null) {
        ms += m.audio.durationMs;
        if (m.audio.span!.end > m.audio.span!.start) {
          claims.push([m.audio.span!.end, Math.round(ms)]);
        }
      }
    }
    // Each phrase is claimed by its last piece, once all its audio (plus the resampler's
    // few-ms tail) has played: never ahead of the audio.
    expect(claims.map((c) => c[0])).toEqual([13, 25]);
    for (const [end, atMs] of claims) {
      expect(atMs).toBeGreaterThanOrEqual(end * MS_PER_CHAR);
      expect(atMs).toBeLessThan(end * MS_PER_CHAR + 20);
    }
  });

  it('cancel mid-stream aborts the request: the fake sees the connection close', async () => {
    speak(50);
    const { call, rec } = open('s-cancel');
    call.write({
      requestId: 's-cancel',
      text: { text: 'A long phrase that takes a while to stream out.' },
    });
    await rec.next((m) => m.audio != null);
    call.write({ requestId: 's-cancel', cancel: { reason: 'barge-in' } });
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    await upstream.requests.at(-1)!.aborted;
  });

  it('maps a 429 to RESOURCE_EXHAUSTED with the provider message', async () => {
    upstream.handler = (_req, res) => writeJsonError(res, 429, RATE_LIMIT_BODY);
    const { call, rec } = open('s-429');
    call.write({ requestId: 's-429', text: { text: 'Hi.' } });
    const s = await rec.done();
    expect(s.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(s.details).toContain('Rate limit reached');
  });
});
