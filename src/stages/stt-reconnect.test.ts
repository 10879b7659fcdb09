import { afterEach, describe, expect, it } from 'vitest';
import { feedRealtime } from '../media/frame-feeder.js';
import { scriptedAudio } from '../media/speech-script.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import type { SimCallInfo } from '../engines/sim/sim-monitor.js';
import {
  startPipelineHarness,
  testPipeline,
  type HarnessSession,
  type PipelineHarness,
} from '../testing/pipeline-harness.js';

const RATE = 16000;
const SESSIONS = 8;

// Generous budgets: on a loaded machine a missed one would hide what is tested.
const PIPELINE = `
stages:
  stt:
    endpoints: [embedded]
    budgetMs: 60000
    endpointing: { silenceMs: 300 }
    options: { transcripts: "hello there" }
    sim: { finalDelayMs: 50 }
  llm: { endpoints: [embedded], budgetMs: 60000, sim: { ttftMs: 20, interTokenMs: 5 } }
  tts: { endpoints: [embedded], budgetMs: 60000, sim: { firstAudioMs: 20, realTimeFactor: 0.1 } }
`;

let h: PipelineHarness | undefined;
let restarted: SimServer | undefined;
afterEach(async () => {
  await restarted?.close();
  await h?.close();
  restarted = undefined;
  h = undefined;
});

async function counter(harness: PipelineHarness, name: 'sttReconnects' | 'sttReplayedFrames') {
  return (await harness.metrics[name].get()).values[0]?.value ?? 0;
}

/** SESSIONS sessions, each with its STT stream open on the engine; returns their calls too. */
async function openSessions(
  harness: PipelineHarness,
): Promise<{ sessions: HarnessSession[]; calls: SimCallInfo[] }> {
  const sessions: HarnessSession[] = [];
  const calls: Promise<SimCallInfo>[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const s = harness.session(testPipeline(PIPELINE), `k${i}`);
    calls.push(harness.sim.stt.waitFor('call-started', (c) => c.requestId === `k${i}`, 30_000));
    s.pipeline.start();
    sessions.push(s);
  }
  return { sessions, calls: await Promise.all(calls) };
}

/** Frames of 20 ms: 200 ms of silence, 900 ms of speech, then silence. */
const SPEECH_END_FRAME = 55;

/**
 * One utterance per session, fed in real time. `midTurn` runs when the victim has sent all
 * of its speech and 100 ms of the silence after it: the engine has heard the utterance but
 * not yet ended it (300 ms of silence does), so only a replay can bring it back.
 */
async function speakAll(
  harness: PipelineHarness,
  sessions: HarnessSession[],
  victim: HarnessSession,
  midTurn: () => Promise<void>,
): Promise<void> {
  const audio = scriptedAudio(
    [{ silenceMs: 200 }, { speechMs: 900 }, { silenceMs: 1200 }],
    RATE,
  ).pcm;
  let killed: Promise<void> | undefined;
  const feeding = sessions.map((s) => {
    let k = 0;
    return feedRealtime(audio, {
      sampleRateHz: RATE,
      ticker: harness.ticker,
      onFrame: (f) => {
        s.pipeline.pushAudio(f);
        if (s === victim && ++k === SPEECH_END_FRAME + 5) {
          killed = midTurn();
        }
      },
    });
  });
  await Promise.all(feeding);
  expect(killed).toBeDefined();
  await killed;
}

describe('an STT engine connection lost mid-turn', () => {
  it('fails only the streams on that connection; they re-open, replay, and the turn completes', async () => {
    h = await startPipelineHarness();
    const harness = h;
    const { sessions, calls } = await openSessions(harness);
    const peers = calls.map((c) => c.peer);
    // The pool spread the sessions over several connections.
    expect(new Set(peers).size).toBeGreaterThan(1);
    const victim = sessions[0]!;
    const victimPeer = peers[0]!;
    const ended: string[] = [];
    harness.sim.stt.events.on('call-ended', (c) => ended.push(c.requestId));

    await speakAll(harness, sessions, victim, () => {
      expect(harness.sim.abortPeer(victimPeer)).toBe(true);
      return Promise.resolve();
    });

    // Every session's turn completes with the full utterance, the victim's included.
    for (const s of sessions) {
      const done = await s.log.waitFor('response.done', () => true, 60_000);
      expect(done.text).toBe('You said: hello there.');
      expect(s.log.of('error')).toEqual([]);
      expect(s.log.of('transcript.final').map((e) => e.text)).toEqual(['hello there']);
    }
    // Streams on the other connections were never touched.
    const untouched = sessions.filter((_, i) => peers[i] !== victimPeer);
    expect(untouched.length).toBeGreaterThan(0);
    for (const s of untouched) {
      expect(ended).not.toContain(s.pipeline.sessionId);
    }
    expect(await counter(harness, 'sttReconnects')).toBe(SESSIONS - untouched.length);
    expect(await counter(harness, 'sttReplayedFrames')).toBeGreaterThan(0);
    for (const s of sessions) {
      s.pipeline.close();
    }
  }, 180_000);

  it('an engine restarted on the same port mid-turn: every turn completes after the reconnect', async () => {
    h = await startPipelineHarness({ shutdownGraceMs: 0 });
    const harness = h;
    const { sessions } = await openSessions(harness);
    const victim = sessions[0]!;
    const port = harness.sim.port;

    await speakAll(harness, sessions, victim, async () => {
      await harness.sim.close();
      restarted = await startSimServer({ port });
    });

    for (const s of sessions) {
      const done = await s.log.waitFor('response.done', () => true, 60_000);
      expect(done.text).toBe('You said: hello there.');
      expect(s.log.of('error')).toEqual([]);
    }
    expect(await counter(harness, 'sttReconnects')).toBe(SESSIONS);
    expect(await counter(harness, 'sttReplayedFrames')).toBeGreaterThan(0);
    for (const s of sessions) {
      s.pipeline.close();
    }
  }, 180_000);
});
