import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedRealtime } from '../../media/frame-feeder.js';
import { scriptedAudio } from '../../testing/speech-script.js';
import {
  startPipelineHarness,
  testPipeline,
  type PipelineHarness,
} from '../../testing/pipeline-harness.js';

const RATE = 16000;

const PIPELINE = `
stages:
  stt:
    endpoints: [embedded]
    budgetMs: 1500
    endpointing: { silenceMs: 300 }
    options: { transcripts: "book a table for two please" }
    sim: { finalDelayMs: 50 }
  llm: { endpoints: [embedded], budgetMs: 2000, sim: { ttftMs: 50 } }
  tts: { endpoints: [embedded], budgetMs: 1000, sim: { firstAudioMs: 30 } }
endpoint: { detector: semantic, minDelayMs: 100, maxDelayMs: 2000, threshold: 0.5 }
`;

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h.close();
});

describe('semantic detector in the session pipeline', () => {
  it('ends the turn, and reports the detector and wait in turn.metrics and Prometheus', async () => {
    const { pipeline, log } = h.session(testPipeline(PIPELINE));
    pipeline.start();
    const audio = scriptedAudio([{ silenceMs: 200 }, { speechMs: 800 }, { silenceMs: 1500 }], RATE);
    await feedRealtime(audio.pcm, {
      sampleRateHz: RATE,
      ticker: h.ticker,
      onFrame: (f) => pipeline.pushAudio(f),
    });
    const m = await log.waitFor('turn.metrics', () => true, 15_000);
    expect(m.endOfTurn).toMatchObject({ detector: 'semantic', falseCutoff: false });
    expect(m.endOfTurn?.waitMs).not.toBeNull();
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(
      /relay_endpoint_wait_seconds_count\{pipeline="[^"]+",detector="semantic"\} 1/,
    );
    pipeline.close();
  }, 30_000);
});
