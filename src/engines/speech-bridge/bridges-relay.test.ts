/**
 * Per-bridge acceptance through the relay: every provider bridge runs
 * embedded in the relay process (`embedded:NAME`, base URLs and keys from the
 * environment) against its protocol-faithful fake over real sockets, the
 * client on the WebSocket path. Per bridge: a full turn, cancel mid-stream
 * seen by the fake, a provider error reaching the session's `error` event, and
 * a slow first byte caught by the stage budget with `fallback` moving to the
 * next endpoint (Deepgram ↔ OpenAI-compatible STT, Cartesia ↔ OpenAI-compatible
 * speech, OpenAI-compatible LLM → the reply engine). ElevenLabs and the rest
 * of Deepgram are covered the same way in providers-e2e.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { startTestRelay } from '../../testing/relay-harness.js';
import { startCartesiaFake, type CartesiaFake } from '../cartesia/test-support/cartesia-fake.js';
import { startDeepgramFake, type DeepgramFake } from '../deepgram/test-support/deepgram-fake.js';
import {
  startElevenLabsFake,
  type ElevenLabsFake,
} from '../elevenlabs/test-support/elevenlabs-fake.js';
import {
  helloStream,
  INVALID_KEY_BODY,
  RATE_LIMIT_BODY,
  startFixtureServer,
  writeJsonError,
  writeSse,
  type FixtureServer,
} from '../openai/fixtures.js';
import {
  openAiError,
  startTranscriptionFake,
  type TranscriptionFake,
} from '../openai-stt/test-support/transcription-fake.js';
import { tonePcm } from './test-support/fake-server.js';
import { openSession, playWithMarks, spokenPrefix, tokens } from './test-support/relay-session.js';

const MS_PER_CHAR = 60;
const REPLY =
  'Sure. Here is a long answer that keeps going for a while, so that there is plenty of time to talk over it before it ends.';
const SHORT_REPLY = 'Okay, noted.';
const OPENAI_KEY = 'sk-bridges-0123456789abcdef';
const REFUSED_KEY = 'sk-refused-0123456789abcdef';
const ENV = {
  DEEPGRAM_API_KEY: 'dg-bridges-0123456789abcdef',
  ELEVENLABS_API_KEY: 'xi-bridges-0123456789abcdef',
  CARTESIA_API_KEY: 'sk_car_bridges-0123456789',
  OPENAI_API_KEY: OPENAI_KEY,
};

let dgFake: DeepgramFake;
let sttFake: TranscriptionFake;
let llmFake: FixtureServer;
let xiFake: ElevenLabsFake;
let cartesiaFake: CartesiaFake;
let speechFake: FixtureServer;
let relay: Relay;
let dir: string;
const saved = new Map<string, string | undefined>();
/** The reply the LLM fake streams next (per request), and LLM requests to hold. */
let replies: string[] = [];
let llmDelays: number[] = [];
/** Faults of the next speech requests. */
const speechFaults: ('ok' | 'rate-limit' | { delayMs: number })[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pipeline(
  name: string,
  o: {
    stt?: string[];
    llm?: string[];
    tts?: string[];
    fallback?: 'stt' | 'llm' | 'tts';
    sttOptions?: string;
  },
): string {
  const list = (l: string[]): string => `[${l.map((e) => `'${e}'`).join(', ')}]`;
  const budget = (stage: string, ms: number): string =>
    o.fallback === stage ? `budgetMs: ${ms}\n    onBudgetExceeded: fallback` : 'budgetMs: 3000';
  return `name: ${name}
stages:
  stt:
    endpoints: ${list(o.stt ?? ['embedded:deepgram'])}
    ${budget('stt', 1500)}
    endpointing: { silenceMs: 500 }
    options: { ${o.sttOptions ?? ''} }
  llm:
    endpoints: ${list(o.llm ?? ['embedded:openai'])}
    ${budget('llm', 800)}
    model: gpt-4o-mini
  tts:
    endpoints: ${list(o.tts ?? ['embedded:elevenlabs'])}
    ${budget('tts', 600)}
    voice: a0e99841-438c-4a64-b679-ae501e7d6091
interruptions: { minSpeechMs: 300, transcriptWaitMs: 300 }
`;
}

beforeAll(async () => {
  dgFake = await startDeepgramFake({ key: ENV.DEEPGRAM_API_KEY, interimEveryMs: 100 });
  sttFake = await startTranscriptionFake({ key: OPENAI_KEY });
  xiFake = await startElevenLabsFake({ key: ENV.ELEVENLABS_API_KEY, msPerChar: MS_PER_CHAR });
  // Real-time chunks, so a call is still streaming when the caller barges in.
  cartesiaFake = await startCartesiaFake({
    key: ENV.CARTESIA_API_KEY,
    msPerChar: MS_PER_CHAR,
    chunkMs: 200,
    chunkIntervalMs: 200,
  });
  llmFake = await startFixtureServer();
  llmFake.handler = async (req, res) => {
    if (req.headers.authorization !== `Bearer ${OPENAI_KEY}`) {
      writeJsonError(res, 401, INVALID_KEY_BODY);
      return;
    }
    const delay = llmDelays.shift() ?? 0;
    if (delay > 0) {
      await sleep(delay);
    }
    if (!res.destroyed) {
      writeSse(res, helloStream(tokens(replies.shift() ?? SHORT_REPLY)));
    }
  };
  speechFake = await startFixtureServer();
  // OpenAI speech: headerless 24 kHz PCM in 100 ms pieces at real-time pace.
  speechFake.handler = async (req, res) => {
    if (req.headers.authorization !== `Bearer ${OPENAI_KEY}`) {
      writeJsonError(res, 401, INVALID_KEY_BODY);
      return;
    }
    const fault = speechFaults.shift() ?? 'ok';
    if (fault === 'rate-limit') {
      writeJsonError(res, 429, RATE_LIMIT_BODY);
      return;
    }
    if (fault !== 'ok') {
      await sleep(fault.delayMs);
    }
    const pcm = tonePcm(String(req.body['input']).length * MS_PER_CHAR, 24000);
    if (res.destroyed) {
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/pcm' });
    for (let off = 0; off < pcm.length && !res.destroyed; off += 4800) {
      res.write(pcm.subarray(off, off + 4800));
      await sleep(100);
    }
    res.end();
  };
  const env: Record<string, string> = {
    ...ENV,
    STT_REFUSED_API_KEY: REFUSED_KEY,
    DEEPGRAM_BASE_URL: dgFake.wsUrl,
    ELEVENLABS_BASE_URL: xiFake.wsUrl,
    CARTESIA_BASE_URL: cartesiaFake.wsUrl,
    OPENAI_BASE_URL: llmFake.baseUrl,
    OPENAI_STT_BASE_URL: sttFake.baseUrl,
    OPENAI_SPEECH_BASE_URL: speechFake.baseUrl,
  };
  for (const [k, v] of Object.entries(env)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  dir = await mkdtemp(join(tmpdir(), 'vr-bridges-'));
  const files: Record<string, string> = {
    'openai-stt': pipeline('openai-stt', { stt: ['embedded:openai-stt'] }),
    // The key comes from the variable the stage names: here one the provider refuses.
    'openai-stt-key': pipeline('openai-stt-key', {
      stt: ['embedded:openai-stt'],
      sttOptions: 'openai-stt.apiKeyEnv: STT_REFUSED_API_KEY',
    }),
    deepgram: pipeline('deepgram', {}),
    'stt-failover': pipeline('stt-failover', {
      stt: ['embedded:deepgram', 'embedded:openai-stt'],
      fallback: 'stt',
    }),
    'stt-failover-back': pipeline('stt-failover-back', {
      stt: ['embedded:openai-stt', 'embedded:deepgram'],
      fallback: 'stt',
    }),
    cartesia: pipeline('cartesia', { tts: ['embedded:cartesia'] }),
    'openai-speech': pipeline('openai-speech', { tts: ['embedded:openai-speech'] }),
    'tts-failover': pipeline('tts-failover', {
      tts: ['embedded:cartesia', 'embedded:openai-speech'],
      fallback: 'tts',
    }),
    'tts-failover-back': pipeline('tts-failover-back', {
      tts: ['embedded:openai-speech', 'embedded:cartesia'],
      fallback: 'tts',
    }),
    'llm-failover': pipeline('llm-failover', {
      llm: ['embedded:openai', 'embedded:reply'],
      fallback: 'llm',
    }),
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, `${name}.yaml`), text);
  }
  relay = await startTestRelay({ pipelinesDir: dir });
});

afterAll(async () => {
  await relay?.close();
  await Promise.all([
    dgFake?.close(),
    sttFake?.close(),
    xiFake?.close(),
    cartesiaFake?.close(),
    llmFake?.close(),
    speechFake?.close(),
  ]);
  if (dir !== undefined) {
    await rm(dir, { recursive: true, force: true });
  }
  for (const [k, v] of saved) {
    if (v === undefined) {
      delete process.env[k];
    } else {
      process.env[k] = v;
    }
  }
});

/** One spoken utterance on a fresh session; resolves with the session. */
async function speak(pipelineName: string, ms = 600): ReturnType<typeof openSession> {
  const s = await openSession(relay, pipelineName);
  await s.mic.pause(200);
  await s.mic.say(ms);
  return s;
}

async function done(s: Session): Promise<void> {
  s.mic.stop();
  await s.c.close();
}

type Session = Awaited<ReturnType<typeof openSession>>;

/** A session on `pipelineName` that says one utterance and then gets the session's error event. */
async function expectSessionError(
  pipelineName: string,
  code: string,
  message: string,
): Promise<void> {
  const s = await speak(pipelineName);
  const err = await s.c.log.waitFor('error', () => true, 15_000);
  expect([err.code, err.message]).toEqual([code, expect.stringContaining(message)]);
  expect(err.message).not.toContain(OPENAI_KEY);
  expect(err.message).not.toContain(REFUSED_KEY);
  await done(s);
}

/** One turn whose `stage` misses its budget: `fallback` and the reply from the next endpoint. */
async function expectFallback(pipelineName: string, stage: string): Promise<Session> {
  const s = await speak(pipelineName);
  const exceeded = await s.c.log.waitFor('budget.exceeded', () => true, 15_000);
  expect([exceeded.stage, exceeded.action]).toEqual([stage, 'fallback']);
  if (stage !== 'stt') {
    await s.c.log.waitFor('response.done', () => true, 15_000);
  }
  return s;
}

/** A long reply played with marks, talked over after 1 s: the interruption. */
async function bargeIn(pipelineName: string) {
  const s = await speak(pipelineName, 700);
  const player = playWithMarks(s.c);
  await vi.waitFor(() => expect(player.marks.length).toBeGreaterThanOrEqual(50), {
    timeout: 15_000,
  });
  const said = s.mic.say(800);
  const interrupted = await s.c.log.waitFor('response.interrupted', () => true, 10_000);
  player.stop();
  expect(interrupted.heardAudioMs).toBeGreaterThanOrEqual(1000);
  expect(interrupted.heardText.length).toBeLessThan(REPLY.length);
  await said;
  return { s, interrupted };
}

describe('OpenAI-compatible transcription, embedded, through the relay', () => {
  it('a full turn: partials, the final transcript and the reply', async () => {
    sttFake.setTranscripts(['what time is it']);
    replies = [SHORT_REPLY];
    const before = sttFake.requests.length;
    const s = await speak('openai-stt', 700);
    const final = await s.c.log.waitFor('transcript.final', () => true, 10_000);
    expect(final.text).toBe('what time is it');
    expect(s.c.log.of('transcript.partial').map((e) => e.text)).toContain('what time');
    const reply = await s.c.log.waitFor('response.done', () => true, 15_000);
    expect(reply.text).toBe(SHORT_REPLY);
    const req = sttFake.requests[before]!;
    expect(req.fields).toEqual({ model: 'gpt-4o-mini-transcribe', language: 'en', stream: 'true' });
    expect(req.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(req.audioMs).toBeGreaterThanOrEqual(700);
    await done(s);
  });

  it('a key the provider refuses reaches the session as an error event with its message', async () => {
    sttFake.setTranscripts(['hello there']);
    await expectSessionError(
      'openai-stt-key',
      'RELAY_ERR_STAGE_FAILED',
      'Incorrect API key provided',
    );
  });

  it('a transient provider error (429) is not the session’s: the stream reopens and replays, the turn is answered', async () => {
    sttFake.setTranscripts(['', 'hello there']);
    sttFake.faults.push({
      kind: 'http',
      status: 429,
      body: openAiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'),
    });
    replies = [SHORT_REPLY];
    const before = sttFake.requests.length;
    const s = await speak('openai-stt');
    const final = await s.c.log.waitFor('transcript.final', () => true, 15_000);
    expect(final.text).toBe('hello there');
    await s.c.log.waitFor('response.done', () => true, 15_000);
    expect(s.c.log.of('error')).toEqual([]);
    // The same utterance went up twice: refused, then replayed on the reopened stream.
    expect(sttFake.requests.length - before).toBe(2);
    await done(s);
  });

  it('a slow first byte is caught by the STT budget; fallback moves to Deepgram and the abandoned request is aborted', async () => {
    sttFake.setTranscripts(['too slow']);
    sttFake.faults.push({ kind: 'slow', delayMs: 6_000 });
    dgFake.setTranscripts(['second try']);
    const before = sttFake.requests.length;
    const s = await expectFallback('stt-failover-back', 'stt');
    // The relay gave up the call (half-closed, then cancelled): the bridge aborted the request.
    await sttFake.requests[before]!.aborted;
    await s.mic.pause(300);
    await s.mic.say(600);
    const final = await s.c.log.waitFor('transcript.final', () => true, 10_000);
    expect(final.text).toBe('second try');
    await done(s);
  }, 90_000);

  it('Deepgram → OpenAI STT failover: a slow Deepgram moves to the OpenAI-compatible server', async () => {
    dgFake.setTranscripts(['first try']);
    dgFake.faults.push({ kind: 'slow', delayMs: 6_000 });
    sttFake.setTranscripts(['book a table']);
    const before = dgFake.connections.length;
    const s = await expectFallback('stt-failover', 'stt');
    expect((await dgFake.connections[before]!.closed).byClient).toBe(true);
    await s.mic.pause(300);
    await s.mic.say(600);
    const final = await s.c.log.waitFor('transcript.final', () => true, 10_000);
    expect(final.text).toBe('book a table');
    await done(s);
  }, 90_000);
});

describe('Deepgram, embedded, through the relay', () => {
  it('an error close frame (1008) reaches the session as an error event with Deepgram’s reason', async () => {
    dgFake.setTranscripts(['hello']);
    dgFake.faults.push({
      kind: 'close',
      afterAudioMs: 200,
      code: 1008,
      reason: 'DATA-0000: The payload cannot be decoded as audio.',
    });
    await expectSessionError(
      'deepgram',
      'RELAY_ERR_BAD_REQUEST',
      'DATA-0000: The payload cannot be decoded as audio.',
    );
  });

  it('a transient error close (1011) reopens the stream on the next endpoint, which transcribes the replayed utterance', async () => {
    dgFake.setTranscripts(['hello']);
    dgFake.faults.push({
      kind: 'close',
      afterAudioMs: 300,
      code: 1011,
      reason: 'NET-0000: The service has not transmitted a Text frame in time.',
    });
    sttFake.setTranscripts(['hello again']);
    replies = [SHORT_REPLY];
    const s = await speak('stt-failover');
    const final = await s.c.log.waitFor('transcript.final', () => true, 15_000);
    expect(final.text).toBe('hello again');
    await s.c.log.waitFor('response.done', () => true, 15_000);
    expect(s.c.log.of('error')).toEqual([]);
    await done(s);
  });
});

describe('Cartesia, embedded, through the relay', () => {
  it('a full turn: the whole reply as audio', async () => {
    dgFake.setTranscripts(['what time is it']);
    replies = [SHORT_REPLY];
    const s = await speak('cartesia', 700);
    const reply = await s.c.log.waitFor('response.done', () => true, 15_000);
    expect(reply.text).toBe(SHORT_REPLY);
    await vi.waitFor(() => expect(s.c.audio.length * 20).toBe(SHORT_REPLY.length * MS_PER_CHAR), {
      timeout: 10_000,
    });
    const m = await s.c.log.waitFor('turn.metrics');
    expect(m.ttsTtfaMs).toBeGreaterThan(0);
    await done(s);
  });

  it('barge-in: heard text exact from the word timestamps, and the fake sees the cancel', async () => {
    dgFake.setTranscripts(['tell me a story', 'stop']);
    replies = [REPLY, SHORT_REPLY];
    const before = cartesiaFake.connections.length;
    const { s, interrupted } = await bargeIn('cartesia');
    expect(interrupted.heardText).toBe(spokenPrefix(REPLY, interrupted.heardAudioMs, MS_PER_CHAR));
    const conn = cartesiaFake.connections[before]!;
    await vi.waitFor(() => expect(conn.messages.some((m) => m['cancel'] === true)).toBe(true), {
      timeout: 10_000,
    });
    expect((await conn.closed).byClient).toBe(true);
    await done(s);
  });

  it('an error message reaches the session as an error event with Cartesia’s message', async () => {
    dgFake.setTranscripts(['hello there']);
    cartesiaFake.faults.push({
      kind: 'error',
      afterInputs: 1,
      status: 429,
      title: 'Too many requests',
      message: 'Concurrency limit reached for your plan.',
    });
    await expectSessionError(
      'cartesia',
      'RELAY_ERR_STAGE_UNAVAILABLE',
      'Concurrency limit reached for your plan.',
    );
  });

  it('a slow first chunk is caught by the TTS budget; fallback finishes on OpenAI-compatible speech', async () => {
    dgFake.setTranscripts(['say something']);
    replies = [SHORT_REPLY];
    cartesiaFake.faults.push({ kind: 'slow', delayMs: 5_000 });
    const before = cartesiaFake.connections.length;
    const speechBefore = speechFake.requests.length;
    const s = await expectFallback('tts-failover', 'tts');
    expect(speechFake.requests.length).toBeGreaterThan(speechBefore);
    expect((await cartesiaFake.connections[before]!.closed).byClient).toBe(true);
    await done(s);
  }, 90_000);
});

describe('OpenAI-compatible speech, embedded, through the relay', () => {
  it('a full turn, then barge-in: the request in flight is aborted, heard text ends at a phrase', async () => {
    dgFake.setTranscripts(['tell me a story', 'stop']);
    replies = [REPLY, SHORT_REPLY];
    const before = speechFake.requests.length;
    const { s, interrupted } = await bargeIn('openai-speech');
    const inputs = speechFake.requests.slice(before).map((r) => String(r.body['input']));
    expect(REPLY.startsWith(inputs.join(''))).toBe(true);
    // Alignment is per phrase: the heard text is the phrases whose audio fully played.
    let heard = '';
    let ms = 0;
    for (const phrase of inputs) {
      ms += phrase.length * MS_PER_CHAR;
      if (ms > interrupted.heardAudioMs) {
        break;
      }
      heard += phrase;
    }
    expect(heard).not.toBe('');
    expect(interrupted.heardText.trim()).toBe(heard.trim());
    // The phrase being spoken was still streaming: cancelling the call aborted it.
    await speechFake.requests.at(-1)!.aborted;
    await done(s);
  });

  it('a 429 reaches the session as an error event with the provider message', async () => {
    dgFake.setTranscripts(['hello there']);
    replies = [SHORT_REPLY];
    speechFaults.push('rate-limit');
    await expectSessionError('openai-speech', 'RELAY_ERR_STAGE_UNAVAILABLE', 'Rate limit reached');
  });

  it('a slow first byte is caught by the TTS budget; fallback finishes on Cartesia', async () => {
    dgFake.setTranscripts(['say something']);
    replies = [SHORT_REPLY];
    speechFaults.push({ delayMs: 5_000 });
    const before = speechFake.requests.length;
    const cartesiaBefore = cartesiaFake.connections.length;
    const s = await expectFallback('tts-failover-back', 'tts');
    expect(cartesiaFake.connections.length).toBeGreaterThan(cartesiaBefore);
    await speechFake.requests[before]!.aborted;
    await done(s);
  }, 90_000);
});

describe('OpenAI-compatible LLM, embedded, through the relay', () => {
  it('a slow first token is caught by the LLM budget; fallback answers from the next engine', async () => {
    dgFake.setTranscripts(['hello there']);
    replies = [SHORT_REPLY];
    llmDelays = [5_000];
    const before = llmFake.requests.length;
    const s = await expectFallback('llm-failover', 'llm');
    // The slow request was aborted when the relay cancelled its call.
    await llmFake.requests[before]!.aborted;
    await done(s);
  });
});
