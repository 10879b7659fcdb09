import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedAudio } from '../client/relay-client.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/**
 * What was heard of a phrase served from the TTS cache is as exact as of the same
 * phrase synthesised live: the cache keeps each chunk's alignment and replays it.
 */
const PHRASE = 'Please hold on while I look that up.';
/** Frames the client acknowledges as played before it cancels (a mid-phrase cut). */
const PLAYED = 15;
const TTS = { firstAudioMs: 20, msPerChar: 20, chunkMs: 20, realTimeFactor: 0.2 };

let stalled: SimServer;
let speaker: SimServer;
let relay: Relay;
let dir: string;
const fillerSyntheses: string[] = [];

beforeAll(async () => {
  // One engine whose LLM never answers in time (its TTS serves both pipelines), one
  // whose LLM says the phrase as its reply.
  stalled = await startSimServer({
    llm: { ttftMs: 0, interTokenMs: 5, faults: { stallBeforeFirstMs: 30_000 } },
    tts: TTS,
  });
  speaker = await startSimServer({
    llm: { ttftMs: 0, interTokenMs: 5, mode: 'scripted', script: [PHRASE] },
    tts: TTS,
  });
  stalled.tts.events.on('call-started', (e) => {
    if (e.requestId.includes('.filler')) {
      fillerSyntheses.push(e.requestId);
    }
  });
  dir = await mkdtemp(join(tmpdir(), 'vr-cached-speech-'));
  const stages = (llm: string): string => `stages:
  stt: { endpoints: [embedded:sim], budgetMs: 3000 }
  llm: { endpoints: ['${llm}'], budgetMs: 60000, onBudgetExceeded: record }
  tts: { endpoints: ['${stalled.address}'], budgetMs: 5000, voice: same }
`;
  await writeFile(join(dir, 'live.yaml'), `name: live\n${stages(speaker.address)}`);
  await writeFile(
    join(dir, 'cached.yaml'),
    `name: cached\n${stages(stalled.address)}fillers: { phrases: ['${PHRASE}'] }\ndeadAir: { budgetMs: 200 }\n`,
  );
  relay = await startTestRelay({ pipelinesDir: dir });
});

afterAll(async () => {
  await relay.close();
  await speaker.close();
  await stalled.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Start a turn, acknowledge its first PLAYED frames with a playback mark, then cancel:
 * the heard text of the interrupted turn.
 */
async function heardAfterPlayed(c: RelayClient, text: string): Promise<string> {
  const frames: ReceivedAudio[] = [];
  const enough = new Promise<ReceivedAudio>((resolve) => {
    c.onAudio = (a) => {
      frames.push(a);
      if (frames.length === PLAYED) {
        resolve(a);
      }
    };
  });
  c.sendEvent({ type: 'input.text', text });
  const started = await c.log.waitFor(
    'response.started',
    (e) => !c.log.of('response.interrupted').some((i) => i.turnId === e.turnId),
  );
  const last = await enough;
  c.onAudio = undefined;
  c.sendEvent({ type: 'playback.mark', seq: last.seq });
  c.sendEvent({ type: 'response.cancel' });
  const cut = await c.log.waitFor('response.interrupted', (e) => e.turnId === started.turnId);
  expect(cut.heardAudioMs).toBe(PLAYED * 20);
  return cut.heardText;
}

async function connect(pipeline: string): Promise<RelayClient> {
  const c = await RelayClient.connect({ url: wsUrl(relay), pipeline, token: await testToken() });
  await c.log.waitFor('session.ready');
  return c;
}

describe('TTS cache alignment', () => {
  it('a barge-in inside a cached filler cuts its text exactly where a live phrase is cut', async () => {
    const live = await connect('live');
    const liveHeard = await heardAfterPlayed(live, 'hello');
    await live.close();
    // A real cut inside the phrase: some words heard, not all.
    expect(liveHeard.length).toBeGreaterThan(0);
    expect(liveHeard.length).toBeLessThan(PHRASE.length);
    expect(PHRASE.startsWith(liveHeard)).toBe(true);

    const c = await connect('cached');
    const missHeard = await heardAfterPlayed(c, 'first');
    const hitHeard = await heardAfterPlayed(c, 'second');
    await c.close();
    expect(fillerSyntheses).toHaveLength(1);
    expect(missHeard).toBe(liveHeard);
    expect(hitHeard).toBe(liveHeard);
    const metrics = await relay.metrics.registry.metrics();
    expect(metrics).toMatch(/relay_tts_cache_requests_total\{result="hit"\} [1-9]/);
    expect(metrics).toMatch(/relay_tts_cache_requests_total\{result="miss"\} [1-9]/);
  });
});
