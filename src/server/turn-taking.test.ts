import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { LiveMic } from '../testing/live-mic.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

const MS_PER_CHAR = 60;
const FINAL_DELAY_MS = 300;
const REPLY =
  'Sure. Here is a long answer that keeps going for a while, so that there is plenty of time to talk over it before it ends.';
const SHORT_REPLY = 'Okay, noted.';

// Budgets far beyond the engines: one a busy machine misses would cancel a turn.
function pipeline(name: string, transcripts: string[], extra = '', reply = REPLY): string {
  return `name: ${name}
stages:
  stt:
    endpoints: [embedded:sim]
    budgetMs: 30000
    endpointing: { silenceMs: 500 }
    options: { transcripts: '${JSON.stringify(transcripts)}' }
    sim: { finalDelayMs: ${FINAL_DELAY_MS}, partialCadenceMs: 100 }
  llm:
    endpoints: [embedded:sim]
    budgetMs: 30000
    sim: { mode: scripted, script: ["${reply}"], ttftMs: 100, interTokenMs: 10 }
  tts:
    endpoints: [embedded:sim]
    budgetMs: 30000
    sim: { firstAudioMs: 50, msPerChar: ${MS_PER_CHAR}, chunkMs: 20, realTimeFactor: 0.2 }
interruptions: { minSpeechMs: 300, transcriptWaitMs: 300 }
${extra}`;
}

let relay: Relay;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vr-turns-'));
  const files: Record<string, string> = {
    pause: pipeline('pause', ['one two three four five six'], '', SHORT_REPLY),
    barge: pipeline('barge', ['tell me a story', 'wait stop please'], '', REPLY),
    backchannel: pipeline(
      'backchannel',
      ['tell me a story', 'uh-huh', ''],
      '',
      SHORT_REPLY + ' ' + 'And one more sentence to listen to.',
    ),
    'pre-same': pipeline(
      'pre-same',
      ['one two three four'],
      'preemptive: { enabled: true }',
      SHORT_REPLY,
    ),
    // A slow LLM, still generating when the final comes, so the discarded call is cancelled.
    'pre-diff': pipeline(
      'pre-diff',
      ['one two three four'],
      'preemptive: { enabled: true }',
      REPLY,
    ).replace('interTokenMs: 10', 'interTokenMs: 200'),
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, `${name}.yaml`), text);
  }
  relay = await startTestRelay({ pipelinesDir: dir });
});
afterAll(async () => {
  await relay.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(pipelineName: string): Promise<{ c: RelayClient; mic: LiveMic }> {
  const c = await RelayClient.connect({
    url: wsUrl(relay),
    pipeline: pipelineName,
    token: await testToken(),
  });
  await c.log.waitFor('session.ready');
  const mic = new LiveMic(c);
  mic.start();
  return { c, mic };
}

/** Wait for a condition, checking every 10 ms, bounded. */
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise<void>((r) => setTimeout(r, 10));
  }
}

/** The reply prefix the sim TTS has fully spoken after `audioMs` (its documented timing rule). */
function spokenPrefix(text: string, audioMs: number): string {
  let best = '';
  for (let i = 1; i <= text.length; i++) {
    const atWordEnd = i === text.length || text[i] === ' ';
    if (atWordEnd && text[i - 1] !== ' ' && i * MS_PER_CHAR <= audioMs) {
      best = text.slice(0, i);
    }
  }
  return best;
}

/** Play reply audio like a client: in real time from the first frame, acking each frame with a mark. */
function playWithMarks(c: RelayClient): { marks: number[]; stop(): void } {
  const marks: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let playedUntil = 0;
  c.onAudio = (a) => {
    playedUntil = Math.max(playedUntil, Date.now()) + 20;
    const t = setTimeout(() => {
      timers.delete(t);
      marks.push(a.seq);
      c.sendEvent({ type: 'playback.mark', seq: a.seq });
    }, playedUntil - Date.now());
    timers.add(t);
  };
  return {
    marks,
    stop: () => {
      for (const t of timers) {
        clearTimeout(t);
      }
      c.onAudio = undefined;
    },
  };
}

describe('turn-taking over the WebSocket path', () => {
  it('a pause shorter than the endpoint silence stays one turn', async () => {
    const { c, mic } = await open('pause');
    await mic.pause(200);
    await mic.say(500);
    await mic.pause(300);
    await mic.say(500);
    const done = await c.log.waitFor('turn.metrics');
    expect(c.log.of('transcript.final').map((e) => e.text)).toEqual([
      'one two three four five six',
    ]);
    expect(c.log.of('speech.started').length).toBe(2);
    expect(done.interrupted).toBe(false);
    mic.stop();
    await c.close();
  });

  it('barge-in stops the reply; response.interrupted carries exactly the heard text, and so does the next request', async () => {
    const { c, mic } = await open('barge');
    const player = playWithMarks(c);
    await mic.pause(200);
    await mic.say(700);
    const started = await c.log.waitFor('response.started');
    // Talk over the agent once about a second of its reply has played.
    await until(() => player.marks.length >= 50);
    const speechAt = Date.now();
    const said = mic.say(800);
    const interrupted = await c.log.waitFor('response.interrupted', () => true, 10_000);
    const reactionMs = Date.now() - speechAt;
    player.stop();
    expect(interrupted.turnId).toBe(started.turnId);
    const framesAtInterrupt = c.audio.length;
    // The heard audio is what the client acknowledged; the text is exactly what that audio spoke.
    expect(interrupted.heardAudioMs % 20).toBe(0);
    expect(interrupted.heardAudioMs).toBeGreaterThanOrEqual(1000);
    expect(player.marks.length * 20).toBeGreaterThanOrEqual(interrupted.heardAudioMs);
    expect(interrupted.heardText).toBe(spokenPrefix(REPLY, interrupted.heardAudioMs));
    expect(interrupted.heardText.length).toBeLessThan(REPLY.length);
    await said;
    await mic.pause(1200);
    // The next turn's LLM request holds only the heard text for the agent.
    const next = await c.log.waitFor('response.started', () => true, 10_000, 2);
    expect(c.log.of('transcript.final').map((e) => e.text)).toEqual([
      'tell me a story',
      'wait stop please',
    ]);
    const requests = relay.engines!.sim!.llm.requests.all.filter((r) =>
      r.turnId.startsWith(next.turnId),
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]!.messages.map((m) => `${m.role}:${m.content}`).slice(-3)).toEqual([
      'USER:tell me a story',
      `ASSISTANT:${interrupted.heardText}`,
      'USER:wait stop please',
    ]);
    const m = await c.log.waitFor('turn.metrics', (x) => x.turnId === started.turnId);
    expect(m.interrupted).toBe(true);
    // The output stopped: nothing of the interrupted reply after the event (the next reply starts flagged).
    const next0 = c.audio.slice(framesAtInterrupt);
    expect(next0.length === 0 || (next0[0]!.flags & 1) === 1).toBe(true);
    expect(reactionMs).toBeGreaterThan(0);
    mic.stop();
    await c.close();
  });

  it('a backchannel and a 150 ms noise burst do not interrupt; the reply plays to the end', async () => {
    const { c, mic } = await open('backchannel');
    await mic.pause(200);
    await mic.say(700);
    await c.log.waitFor('response.started');
    await until(() => c.audio.length >= 20);
    await mic.say(400); // "uh-huh"
    await mic.pause(700);
    await mic.noise(150);
    const done = await c.log.waitFor('response.done', () => true, 20_000);
    expect(done.text).toBe(SHORT_REPLY + ' And one more sentence to listen to.');
    expect(c.log.of('response.interrupted')).toEqual([]);
    expect(c.log.of('transcript.final').map((e) => e.text)).toEqual(['tell me a story']);
    mic.stop();
    await c.close();
  });
});

describe('preemptive generation', () => {
  it('with a partial equal to the final starts the LLM earlier by about the STT final delay', async () => {
    const { c, mic } = await open('pre-same');
    await mic.pause(200);
    await mic.say(1000);
    const final = await c.log.waitFor('transcript.final', () => true, 10_000);
    expect(final.text).toBe('one two three four');
    const done = await c.log.waitFor('response.done');
    expect(done.text).toBe(SHORT_REPLY);
    const m = await c.log.waitFor('turn.metrics');
    // The LLM request reached the engine at the STT's end of utterance, before the final
    // transcript reached the relay (by about the sim's final delay; how much depends on
    // the machine's load, so only "before" is asserted).
    const finalAtMs = m.speechEndTsMs! + m.sttFinalMs!;
    const requests = relay.engines!.sim!.llm.requests.all.filter((r) => r.turnId === final.turnId);
    expect(requests).toHaveLength(1);
    const earlierMs = finalAtMs - requests[0]!.receivedAtMs;
    expect(earlierMs).toBeGreaterThan(0);
    const kept = (await relay.metrics.preemptive.get()).values.find(
      (v) => v.labels['result'] === 'kept',
    );
    expect(kept?.value).toBeGreaterThanOrEqual(1);
    mic.stop();
    await c.close();
  });

  it('with a different final discards the first generation and answers the final', async () => {
    const before =
      (await relay.metrics.preemptive.get()).values.find((v) => v.labels['result'] === 'discarded')
        ?.value ?? 0;
    const cancelled: string[] = [];
    const onCancel = (e: { requestId: string }): void => {
      cancelled.push(e.requestId);
    };
    relay.engines!.sim!.llm.events.on('call-cancelled', onCancel);
    const { c, mic } = await open('pre-diff');
    await mic.pause(200);
    await mic.say(500); // partials reach "one two"; the final says four words
    const started = await c.log.waitFor('response.started', () => true, 10_000);
    const first = await c.log.waitFor('response.text.delta', () => true, 10_000);
    expect(first.turnId).toBe(started.turnId);
    expect(REPLY.startsWith(first.text.trim())).toBe(true);
    expect(c.log.of('response.started')).toHaveLength(1);
    // Two generations: the preemptive one on the partial (cancelled), then the final's.
    const sim = relay.engines!.sim!;
    const sid = (await c.log.waitFor('session.ready')).sessionId;
    const requests = sim.llm.requests.all.filter((r) => r.sessionId === sid);
    expect(requests.map((r) => r.messages.at(-1)?.content)).toEqual([
      'one two',
      'one two three four',
    ]);
    await until(() => cancelled.includes(requests[0]!.requestId));
    sim.llm.events.off('call-cancelled', onCancel);
    const after =
      (await relay.metrics.preemptive.get()).values.find((v) => v.labels['result'] === 'discarded')
        ?.value ?? 0;
    expect(after).toBe(before + 1);
    mic.stop();
    await c.close();
  });
});
