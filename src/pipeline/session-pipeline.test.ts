import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_MS } from '../frames/frames.js';
import { feedRealtime } from '../media/frame-feeder.js';
import { scriptedAudio } from '../media/speech-script.js';
import {
  startPipelineHarness,
  testPipeline,
  type PipelineHarness,
} from '../testing/pipeline-harness.js';

const RATE = 16000;
// The sim latency profile of this test (sent to the embedded sims through the pipeline).
const P = { silenceMs: 300, finalDelayMs: 100, ttftMs: 120, interTokenMs: 10, firstAudioMs: 60 };
const LEAD_MS = 60;
const TRANSCRIPTS = ['hello there', 'what time is it', 'thank you'];
// Budgets far beyond the profile: this test is about the happy path, and a budget a busy
// machine can miss (the first utterance also pays for opening the STT connection) would
// cancel that utterance and lose its turn.
const BUDGET_MS = 60_000;

const PIPELINE = `
stages:
  stt:
    endpoints: [embedded]
    budgetMs: ${BUDGET_MS}
    endpointing: { silenceMs: ${P.silenceMs} }
    options: { transcripts: "${TRANSCRIPTS.join('|')}" }
    sim: { finalDelayMs: ${P.finalDelayMs} }
  llm:
    endpoints: [embedded]
    budgetMs: ${BUDGET_MS}
    instructions: Be brief.
    sim: { ttftMs: ${P.ttftMs}, interTokenMs: ${P.interTokenMs} }
  tts:
    endpoints: [embedded]
    budgetMs: ${BUDGET_MS}
    sim: { firstAudioMs: ${P.firstAudioMs}, realTimeFactor: 0.2, msPerChar: 15 }
output: { leadMs: ${LEAD_MS} }
# The utterances come in real time: on a busy machine a reply can still be playing when
# the next one starts, and a barge-in would end it early. Ordered turns are the subject
# here (interruptions have their own tests), so the next turn waits for the reply.
interruptions: { enabled: false }
`;

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h.close();
});

describe('session pipeline over real sim gRPC stages', () => {
  it('turns a recording with several utterances into ordered turns with history, paced audio and metrics', async () => {
    const { pipeline, log, frames } = h.session(testPipeline(PIPELINE));
    pipeline.start();
    const audio = scriptedAudio(
      [
        { silenceMs: 200 },
        { speechMs: 600 },
        { silenceMs: 1400 },
        { speechMs: 500 },
        { silenceMs: 1400 },
        { speechMs: 700 },
        { silenceMs: 600 },
      ],
      RATE,
    );
    await feedRealtime(audio.pcm, {
      sampleRateHz: RATE,
      ticker: h.ticker,
      onFrame: (f) => pipeline.pushAudio(f),
    });
    await log.waitFor('turn.metrics', () => true, 60_000, 3);

    // Transcripts in order, one turn each.
    expect(log.of('transcript.final').map((e) => e.text)).toEqual(TRANSCRIPTS);
    expect(log.of('response.done').map((e) => e.text)).toEqual(
      TRANSCRIPTS.map((t) => `You said: ${t}.`),
    );

    // Each LLM request carries the conversation so far.
    const requests = h.sim.llm.requests.all.filter((r) => r.sessionId === pipeline.sessionId);
    expect(requests.map((r) => r.messages.map((m) => `${m.role}:${m.content}`))).toEqual([
      ['SYSTEM:Be brief.', 'USER:hello there'],
      [
        'SYSTEM:Be brief.',
        'USER:hello there',
        'ASSISTANT:You said: hello there.',
        'USER:what time is it',
      ],
      [
        'SYSTEM:Be brief.',
        'USER:hello there',
        'ASSISTANT:You said: hello there.',
        'USER:what time is it',
        'ASSISTANT:You said: what time is it.',
        'USER:thank you',
      ],
    ]);

    // Reply audio: contiguous sequence numbers, each turn's frames in order, paced in real time.
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    for (const turnId of new Set(frames.map((f) => f.turnId))) {
      const tf = frames.filter((f) => f.turnId === turnId);
      tf.forEach((f, i) => {
        expect(f.turnAudioEndMs).toBe((i + 1) * FRAME_MS);
        // Never ahead of real time by more than the lead (1 ms of clock rounding allowed):
        // play times advance a frame per frame (more after an underrun), and no frame leaves
        // earlier than the lead before its play time. Exact however late the ticks come.
        expect(f.sentTsMs).toBeGreaterThanOrEqual(f.playAtMs - LEAD_MS - 1);
        if (i > 0) {
          expect(f.playAtMs - tf[i - 1]!.playAtMs).toBeGreaterThanOrEqual(FRAME_MS);
        }
      });
      // The reply's alignment reaches the whole text by its last frame.
      const done = log.of('response.done').find((d) => d.turnId === turnId)!;
      expect(tf.at(-1)!.textEnd).toBe(done.text.length);
    }

    // Each turn's waterfall agrees with the sim profile. Lower bounds are exact
    // (nothing can be faster than the profile); upper bounds only catch gross errors.
    const metrics = log.of('turn.metrics');
    expect(metrics).toHaveLength(3);
    for (const m of metrics) {
      expect(m.speechEndTsMs).not.toBeNull();
      expect(m.endpointMs!).toBeGreaterThanOrEqual(P.silenceMs - FRAME_MS);
      expect(m.sttFinalMs!).toBeGreaterThanOrEqual(P.silenceMs + P.finalDelayMs - FRAME_MS);
      expect(m.sttFinalMs!).toBeGreaterThanOrEqual(m.endpointMs!);
      expect(m.llmTtftMs!).toBeGreaterThanOrEqual(P.ttftMs - 1);
      expect(m.ttsTtfaMs!).toBeGreaterThanOrEqual(P.firstAudioMs - 1);
      expect(m.voiceToVoiceMs!).toBeGreaterThanOrEqual(m.sttFinalMs! + m.llmTtftMs! + m.ttsTtfaMs!);
      expect(m.budgetsExceeded).toEqual([]);
      expect(m.completionTokens).toBeGreaterThan(0);
    }

    // The same figures reach prom-client.
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(/relay_llm_ttft_seconds_count 3/);
    expect(text).toMatch(/relay_voice_to_voice_seconds_count\{kind="relay"\} 3/);
    pipeline.close();
  }, 90_000);

  it('answers typed input without audio', async () => {
    const { pipeline, log } = h.session(testPipeline(PIPELINE));
    pipeline.start();
    pipeline.inputText('ping');
    const done = await log.waitFor('response.done');
    expect(done.text).toBe('You said: ping.');
    const m = await log.waitFor('turn.metrics');
    expect(m.speechEndTsMs).toBeNull();
    expect(m.voiceToVoiceMs).toBeNull();
    pipeline.close();
  });
});
