import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { LiveMic } from '../testing/live-mic.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

const CHURN_SESSIONS = 1_000;
const CONTROL_SESSIONS = 20;

// Budgets far above anything a loaded machine needs: a missed budget is a failure here.
const PIPELINE = `name: ctl
stages:
  stt:
    endpoints: [embedded:sim]
    budgetMs: 60000
    endpointing: { silenceMs: 300 }
    sim: { finalDelayMs: 50 }
  llm:
    endpoints: [embedded:sim]
    budgetMs: 60000
    sim: { mode: scripted, script: ["Okay."], ttftMs: 20, interTokenMs: 5 }
  tts:
    endpoints: [embedded:sim]
    budgetMs: 60000
    sim: { firstAudioMs: 20, realTimeFactor: 0.05 }
`;

let relay: Relay;
let dir: string;
let token: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vr-churn-'));
  await writeFile(join(dir, 'ctl.yaml'), PIPELINE);
  relay = await startTestRelay({
    pipelinesDir: dir,
    limits: { connectsPerMinute: 100_000, maxSessionsPerKey: 2_000 },
  });
  token = await testToken();
});
afterAll(async () => {
  await relay?.close();
  await rm(dir, { recursive: true, force: true });
});

async function connect(): Promise<RelayClient> {
  const c = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'ctl', token });
  await c.log.waitFor('session.ready', () => true, 60_000);
  return c;
}

/** A control session: talks turn after turn until `stop` says so (and at least `min` turns). */
async function talk(
  c: RelayClient,
  min: number,
  stop: () => boolean,
): Promise<{ turns: number; done: number; failure?: string }> {
  const mic = new LiveMic(c);
  mic.start();
  let turns = 0;
  try {
    while (turns < min || !stop()) {
      await mic.say(400);
      turns++;
      await c.log.waitFor('response.done', () => true, 120_000, turns);
    }
  } catch (err) {
    return { turns, done: c.log.of('response.done').length, failure: String(err) };
  } finally {
    mic.stop();
  }
  return { turns, done: c.log.of('response.done').length };
}

describe('stage channels under session churn', () => {
  it(`${CHURN_SESSIONS} sessions opened and closed as fast as one client can leave ${CONTROL_SESSIONS} talking sessions untouched`, async () => {
    const controls = await Promise.all(Array.from({ length: CONTROL_SESSIONS }, () => connect()));
    let churning = true;
    const talking = Promise.all(controls.map((c) => talk(c, 2, () => !churning)));

    let churned = 0;
    try {
      for (let i = 0; i < CHURN_SESSIONS; i++) {
        const c = await connect();
        // A frame of audio, so the session's STT stream carries something before it goes.
        c.sendFrame(Buffer.alloc(640));
        await c.close();
        churned++;
      }
    } finally {
      churning = false;
    }
    const results = await talking;

    expect(churned).toBe(CHURN_SESSIONS);
    for (const [i, c] of controls.entries()) {
      // Every turn of every control session completed, and none saw a stage error.
      expect(c.log.of('error'), `control ${i}`).toEqual([]);
      expect(c.log.of('budget.exceeded'), `control ${i}`).toEqual([]);
      expect(results[i]!.failure, `control ${i}`).toBeUndefined();
      expect(results[i]!.done).toBe(results[i]!.turns);
      expect(c.log.of('transcript.final').length).toBe(results[i]!.turns);
    }
    // No stage call of any session failed (the churned sessions' included).
    expect((await relay.metrics.stageErrors.get()).values).toEqual([]);
    await Promise.all(controls.map((c) => c.close()));
  }, 900_000);
});
