/**
 * The sim pipeline's end-to-end acceptance, with real provider bridges instead:
 * Deepgram STT + OpenAI-compatible LLM + ElevenLabs TTS, each bridge a gRPC
 * engine talking to its protocol-faithful fake over real sockets, the relay
 * in front over the WebSocket path. Also: provider errors reach the session's
 * `error` event, and a slow first byte is caught by the stage budget with
 * `fallback` moving to the next endpoint.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { startTestRelay } from '../../testing/relay-harness.js';
import { startDeepgramServer, type DeepgramServer } from '../deepgram/server.js';
import { startDeepgramFake, type DeepgramFake } from '../deepgram/test-support/deepgram-fake.js';
import { startElevenLabsServer, type ElevenLabsServer } from '../elevenlabs/server.js';
import {
  startElevenLabsFake,
  type ElevenLabsFake,
} from '../elevenlabs/test-support/elevenlabs-fake.js';
import {
  helloStream,
  INVALID_KEY_BODY,
  startFixtureServer,
  writeJsonError,
  writeSse,
  type FixtureServer,
} from '../openai/fixtures.js';
import { startOpenAiServer, type OpenAiServer } from '../openai/server.js';
import { openSession, playWithMarks, spokenPrefix, tokens } from './test-support/relay-session.js';

const MS_PER_CHAR = 60;
const REPLY =
  'Sure. Here is a long answer that keeps going for a while, so that there is plenty of time to talk over it before it ends.';
const SHORT_REPLY = 'Okay, noted.';
const KEYS = {
  DG_E2E_API_KEY: 'dg-e2e-key-0123456789abcdef',
  XI_E2E_API_KEY: 'xi-e2e-key-0123456789abcdef',
  OAI_E2E_API_KEY: 'sk-e2e-key-0123456789abcdef',
};

let dgFake: DeepgramFake;
let xiFake: ElevenLabsFake;
let llmFake: FixtureServer;
const servers: { close(): Promise<void> }[] = [];
let dg: DeepgramServer;
let dg2: DeepgramServer;
let xi: ElevenLabsServer;
let xi2: ElevenLabsServer;
let llm: OpenAiServer;
let relay: Relay;
let dir: string;
/** The reply the LLM fake streams next (per request). */
let replies: string[] = [];

function pipeline(name: string, o: { stt?: string; tts?: string; extra?: string } = {}): string {
  return `name: ${name}
stages:
  stt:
    endpoints: ${o.stt ?? `['${dg.address}']`}
    budgetMs: 3000
    endpointing: { silenceMs: 500 }
    options: { deepgram.apiKeyEnv: DG_E2E_API_KEY, deepgram.model: nova-3 }
  llm:
    endpoints: ['${llm.address}']
    budgetMs: 3000
    model: gpt-4o-mini
  tts:
    endpoints: ${o.tts ?? `['${xi.address}']`}
    budgetMs: 3000
    voice: JBFqnCBsd6RMkjVDRZzb
    options: { elevenlabs.apiKeyEnv: XI_E2E_API_KEY }
interruptions: { minSpeechMs: 300, transcriptWaitMs: 300 }
${o.extra ?? ''}`;
}

beforeAll(async () => {
  Object.assign(process.env, KEYS);
  dgFake = await startDeepgramFake({ key: KEYS.DG_E2E_API_KEY, interimEveryMs: 100 });
  xiFake = await startElevenLabsFake({ key: KEYS.XI_E2E_API_KEY, msPerChar: MS_PER_CHAR });
  llmFake = await startFixtureServer();
  llmFake.handler = (req, res) => {
    if (req.headers.authorization !== `Bearer ${KEYS.OAI_E2E_API_KEY}`) {
      writeJsonError(res, 401, INVALID_KEY_BODY);
      return;
    }
    writeSse(res, helloStream(tokens(replies.shift() ?? SHORT_REPLY)));
  };
  dg = await startDeepgramServer({ baseUrl: dgFake.wsUrl });
  dg2 = await startDeepgramServer({ baseUrl: dgFake.wsUrl });
  xi = await startElevenLabsServer({ baseUrl: xiFake.wsUrl });
  xi2 = await startElevenLabsServer({ baseUrl: xiFake.wsUrl });
  llm = await startOpenAiServer({ baseUrl: llmFake.baseUrl, apiKeyEnv: 'OAI_E2E_API_KEY' });
  servers.push(dg, dg2, xi, xi2, llm);
  dir = await mkdtemp(join(tmpdir(), 'vr-providers-'));
  const files: Record<string, string> = {
    providers: pipeline('providers'),
    'tts-slow': pipeline('tts-slow', {
      tts: `['${xi.address}', '${xi2.address}']\n    onBudgetExceeded: fallback`,
    }).replace('budgetMs: 3000\n    voice', 'budgetMs: 600\n    voice'),
    'stt-slow': pipeline('stt-slow', {
      stt: `['${dg.address}', '${dg2.address}']\n    onBudgetExceeded: fallback`,
    }).replace('budgetMs: 3000\n    endpointing', 'budgetMs: 1500\n    endpointing'),
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, `${name}.yaml`), text);
  }
  relay = await startTestRelay({ pipelinesDir: dir });
});

afterAll(async () => {
  await relay?.close();
  for (const s of servers) {
    await s.close();
  }
  await Promise.all([dgFake?.close(), xiFake?.close(), llmFake?.close()]);
  await rm(dir, { recursive: true, force: true });
  for (const k of Object.keys(KEYS)) {
    delete process.env[k];
  }
});

function open(pipelineName: string): ReturnType<typeof openSession> {
  return openSession(relay, pipelineName);
}

describe('Deepgram + OpenAI-compatible LLM + ElevenLabs, all fakes, over the WebSocket path', () => {
  it('a full turn: transcript, reply text and audio', async () => {
    dgFake.setTranscripts(['what time is it']);
    replies = [SHORT_REPLY];
    const { c, mic } = await open('providers');
    await mic.pause(200);
    await mic.say(700);
    const final = await c.log.waitFor('transcript.final', () => true, 10_000);
    expect(final.text).toBe('what time is it');
    const done = await c.log.waitFor('response.done', () => true, 15_000);
    expect(done.text).toBe(SHORT_REPLY);
    const m = await c.log.waitFor('turn.metrics');
    expect(m.sttFinalMs).toBeGreaterThan(0);
    expect(m.ttsTtfaMs).toBeGreaterThan(0);
    // The whole reply's audio arrived: every character lasts MS_PER_CHAR.
    await vi.waitFor(() => expect(c.audio.length * 20).toBe(SHORT_REPLY.length * MS_PER_CHAR), {
      timeout: 10_000,
    });
    const request = llmFake.requests.at(-1)!.body;
    expect(request['model']).toBe('gpt-4o-mini');
    expect((request['messages'] as { content: string }[]).at(-1)!.content).toBe('what time is it');
    mic.stop();
    await c.close();
  });

  it('barge-in stops the reply; response.interrupted carries exactly the heard text, and so does the next request', async () => {
    dgFake.setTranscripts(['tell me a story', 'wait stop please']);
    replies = [REPLY, SHORT_REPLY];
    const { c, mic } = await open('providers');
    const player = playWithMarks(c);
    await mic.pause(200);
    await mic.say(700);
    const started = await c.log.waitFor('response.started', () => true, 10_000);
    await vi.waitFor(() => expect(player.marks.length).toBeGreaterThanOrEqual(50), {
      timeout: 15_000,
    });
    const said = mic.say(800);
    const interrupted = await c.log.waitFor('response.interrupted', () => true, 10_000);
    player.stop();
    const framesAtInterrupt = c.audio.length;
    expect(interrupted.turnId).toBe(started.turnId);
    expect(interrupted.heardAudioMs % 20).toBe(0);
    expect(interrupted.heardAudioMs).toBeGreaterThanOrEqual(1000);
    expect(player.marks.length * 20).toBeGreaterThanOrEqual(interrupted.heardAudioMs);
    // Exact: the words whose last character ElevenLabs' alignment puts inside the heard audio.
    expect(interrupted.heardText).toBe(spokenPrefix(REPLY, interrupted.heardAudioMs, MS_PER_CHAR));
    expect(interrupted.heardText.length).toBeLessThan(REPLY.length);
    await said;
    await mic.pause(1200);
    const next = await c.log.waitFor('response.started', () => true, 10_000, 2);
    expect(next.turnId).not.toBe(started.turnId);
    expect(c.log.of('transcript.final').map((e) => e.text)).toEqual([
      'tell me a story',
      'wait stop please',
    ]);
    const messages = llmFake.requests.at(-1)!.body['messages'] as {
      role: string;
      content: string;
    }[];
    expect(messages.slice(-3).map((m) => `${m.role}:${m.content}`)).toEqual([
      'user:tell me a story',
      `assistant:${interrupted.heardText}`,
      'user:wait stop please',
    ]);
    const m = await c.log.waitFor('turn.metrics', (x) => x.turnId === started.turnId);
    expect(m.interrupted).toBe(true);
    // The output stopped: nothing of the interrupted reply after the event (the next reply starts flagged).
    const after = c.audio.slice(framesAtInterrupt);
    expect(after.length === 0 || (after[0]!.flags & 1) === 1).toBe(true);
    mic.stop();
    await c.close();
  });

  it('a pause shorter than the endpoint silence stays one turn', async () => {
    dgFake.setTranscripts(['one two three four five six']);
    replies = [SHORT_REPLY];
    const { c, mic } = await open('providers');
    await mic.pause(200);
    await mic.say(500);
    await mic.pause(300);
    await mic.say(500);
    const done = await c.log.waitFor('turn.metrics', () => true, 15_000);
    expect(c.log.of('transcript.final').map((e) => e.text)).toEqual([
      'one two three four five six',
    ]);
    expect(c.log.of('speech.started').length).toBe(2);
    expect(done.interrupted).toBe(false);
    mic.stop();
    await c.close();
  });

  it('a backchannel and a 150 ms noise burst do not interrupt; the reply plays to the end', async () => {
    const reply = `${SHORT_REPLY} And one more sentence to listen to.`;
    dgFake.setTranscripts(['tell me a story', 'uh-huh']);
    replies = [reply];
    const { c, mic } = await open('providers');
    await mic.pause(200);
    await mic.say(700);
    await c.log.waitFor('response.started', () => true, 10_000);
    await vi.waitFor(() => expect(c.audio.length).toBeGreaterThanOrEqual(20), {
      timeout: 10_000,
    });
    await mic.say(400); // "uh-huh"
    await mic.pause(700);
    await mic.noise(150);
    const done = await c.log.waitFor('response.done', () => true, 20_000);
    expect(done.text).toBe(reply);
    expect(c.log.of('response.interrupted')).toEqual([]);
    expect(c.log.of('transcript.final').map((e) => e.text)).toEqual(['tell me a story']);
    mic.stop();
    await c.close();
  });

  it('an ElevenLabs error reaches the session as an error event with the provider message', async () => {
    dgFake.setTranscripts(['hello there']);
    replies = [SHORT_REPLY];
    xiFake.faults.push({
      kind: 'error',
      afterTexts: 1,
      error: 'max_active_conversations',
      message: 'You have too many active conversations.',
    });
    const { c, mic } = await open('providers');
    await mic.pause(200);
    await mic.say(600);
    const err = await c.log.waitFor('error', () => true, 15_000);
    expect(err.code).toBe('RELAY_ERR_STAGE_UNAVAILABLE');
    expect(err.message).toContain('You have too many active conversations.');
    mic.stop();
    await c.close();
  });

  it('an LLM key the provider refuses reaches the session as an error event with its message', async () => {
    dgFake.setTranscripts(['hello again']);
    const saved = process.env['OAI_E2E_API_KEY'];
    process.env['OAI_E2E_API_KEY'] = 'sk-wrong-wrong-wrong-0000';
    try {
      const { c, mic } = await open('providers');
      await mic.pause(200);
      await mic.say(600);
      const err = await c.log.waitFor('error', () => true, 15_000);
      expect(err.code).toBe('RELAY_ERR_STAGE_FAILED');
      expect(err.message).toContain('Incorrect API key provided');
      expect(err.message).not.toContain('sk-wrong-wrong-wrong-0000');
      mic.stop();
      await c.close();
    } finally {
      process.env['OAI_E2E_API_KEY'] = saved;
    }
  });

  it('a slow first ElevenLabs audio is caught by the TTS budget; fallback finishes on the next endpoint', async () => {
    dgFake.setTranscripts(['say something']);
    replies = [SHORT_REPLY];
    const before = xiFake.connections.length;
    const xiCallsBefore = xi2.engine.monitor.stats.started;
    xiFake.faults.push({ kind: 'slow', delayMs: 5_000 });
    const { c, mic } = await open('tts-slow');
    await mic.pause(200);
    await mic.say(600);
    const exceeded = await c.log.waitFor('budget.exceeded', () => true, 15_000);
    expect([exceeded.stage, exceeded.action]).toEqual(['tts', 'fallback']);
    const done = await c.log.waitFor('response.done', () => true, 15_000);
    expect(done.text).toBe(SHORT_REPLY);
    expect(xi2.engine.monitor.stats.started).toBe(xiCallsBefore + 1);
    // The slow socket was closed by the bridge once the relay cancelled its call.
    const slow = xiFake.connections[before]!;
    expect((await slow.closed).byClient).toBe(true);
    mic.stop();
    await c.close();
  });

  it('a slow Deepgram is caught by the STT budget; fallback reopens on the next endpoint', async () => {
    dgFake.setTranscripts(['first try', 'second try']);
    const before = dgFake.connections.length;
    dgFake.faults.push({ kind: 'slow', delayMs: 6_000 });
    const { c, mic } = await open('stt-slow');
    await mic.pause(200);
    await mic.say(600);
    const exceeded = await c.log.waitFor('budget.exceeded', () => true, 15_000);
    expect([exceeded.stage, exceeded.action]).toEqual(['stt', 'fallback']);
    const slow = dgFake.connections[before]!;
    expect((await slow.closed).byClient).toBe(true);
    await vi.waitFor(() => expect(dg2.engine.monitor.stats.started).toBeGreaterThan(0), {
      timeout: 10_000,
    });
    // The next endpoint transcribes the next utterance.
    await mic.pause(300);
    await mic.say(600);
    const final = await c.log.waitFor('transcript.final', () => true, 10_000);
    expect(final.text).toBe('first try');
    mic.stop();
    await c.close();
  });
});
