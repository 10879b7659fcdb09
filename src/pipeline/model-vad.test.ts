import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedRealtime } from '../media/frame-feeder.js';
import { silence } from '../media/pcm.js';
import { espeakSpeech, whiteNoise } from '../media/vad/vad-fixtures.js';
import {
  startPipelineHarness,
  testPipeline,
  type PipelineHarness,
} from '../testing/pipeline-harness.js';

const RATE = 16000;
const YAML = `
vad: { engine: silero, minSpeechMs: 100, minSilenceMs: 300 }
stages:
  stt: { endpoints: [embedded], budgetMs: 5000 }
  llm: { endpoints: [embedded], budgetMs: 5000 }
  tts: { endpoints: [embedded], budgetMs: 5000 }
`;

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h.close();
});

describe('the Silero VAD in the session pipeline', () => {
  it('finds real speech and ignores noise the energy VAD would call speech', async () => {
    const { pipeline, log } = h.session(testPipeline(YAML));
    pipeline.start();
    const speech = espeakSpeech('hello there, how are you today', RATE);
    // Noise first (loud enough for an energy VAD), then silence, then speech, then silence.
    const pcm = Buffer.concat([
      silence(300, RATE),
      whiteNoise(600, RATE, -30),
      silence(600, RATE),
      speech.pcm,
      silence(800, RATE),
    ]);
    const speechStartMs = 300 + 600 + 600 + speech.onsetMs;
    let captureStartMs = 0;
    await feedRealtime(pcm, {
      sampleRateHz: RATE,
      ticker: h.ticker,
      onFrame: (f) => {
        captureStartMs ||= f.captureTsMs;
        pipeline.pushAudio(f);
      },
    });
    const started = await log.waitFor('speech.started');
    await log.waitFor('speech.stopped');
    expect(log.of('speech.started')).toHaveLength(1);
    // It starts at the speech onset, not at the noise (capture times, relay clock).
    expect(Math.abs(started.tsMs - captureStartMs - speechStartMs)).toBeLessThan(150);
    pipeline.close();
  });
});
