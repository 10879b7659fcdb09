import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedRealtime } from '../../media/frame-feeder.js';
import { scriptedAudio } from '../../testing/speech-script.js';
import {
  startPipelineHarness,
  testPipeline,
  type PipelineHarness,
} from '../../testing/pipeline-harness.js';
import type { EndOfTurnMetrics } from '../../frames/events.js';
import type { SessionPipeline } from '../session-pipeline.js';
import { startSimTurnServer, type SimTurnServerOptions } from './sim-server.js';

const RATE = 16000;

const STAGES = `
stages:
  stt:
    endpoints: [embedded]
    budgetMs: 1500
    endpointing: { silenceMs: 300 }
    options: { transcripts: "book a table for two please" }
    sim: { finalDelayMs: 50 }
  llm: { endpoints: [embedded], budgetMs: 2000, sim: { ttftMs: 50 } }
  tts: { endpoints: [embedded], budgetMs: 1000, sim: { firstAudioMs: 30 } }
`;
const SEMANTIC = `${STAGES}endpoint: { detector: semantic, minDelayMs: 100, maxDelayMs: 2000, threshold: 0.5 }\n`;
const grpc = (target: string): string =>
  `${STAGES}endpoint:\n  detector: grpc\n  minDelayMs: 100\n  maxDelayMs: 2000\n  threshold: 0.5\n` +
  `  grpc: { target: "${target}", budgetMs: 100 }\n`;

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h.close();
});

/** One caller turn: 800 ms of speech, then silence long enough for any wait. */
async function speak(pipeline: SessionPipeline): Promise<void> {
  const audio = scriptedAudio([{ silenceMs: 200 }, { speechMs: 800 }, { silenceMs: 2500 }], RATE);
  await feedRealtime(audio.pcm, {
    sampleRateHz: RATE,
    ticker: h.ticker,
    onFrame: (f) => pipeline.pushAudio(f),
  });
}

/** One turn through a pipeline whose detector is a sim gRPC TurnDetector. */
async function remoteTurn(
  o: SimTurnServerOptions,
  name: string,
): Promise<{ endOfTurn: EndOfTurnMetrics | undefined; metrics: string }> {
  const server = await startSimTurnServer(o);
  try {
    const { pipeline, log } = h.session(testPipeline(grpc(server.address), name));
    pipeline.start();
    await server.configured();
    await speak(pipeline);
    const m = await log.waitFor('turn.metrics', () => true, 15_000);
    expect(server.questions).toBeGreaterThanOrEqual(1);
    pipeline.close();
    return { endOfTurn: m.endOfTurn, metrics: await h.metrics.registry.metrics() };
  } finally {
    await server.close();
  }
}

describe('end-of-turn detector in the session pipeline', () => {
  it('ends the turn, and reports the detector and wait in turn.metrics and Prometheus', async () => {
    const { pipeline, log } = h.session(testPipeline(SEMANTIC));
    pipeline.start();
    await speak(pipeline);
    const m = await log.waitFor('turn.metrics', () => true, 15_000);
    expect(m.endOfTurn).toMatchObject({ detector: 'semantic', falseCutoff: false });
    expect(m.endOfTurn?.waitMs).not.toBeNull();
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(
      /relay_endpoint_wait_seconds_count\{pipeline="test",detector="semantic"\} 1/,
    );
    pipeline.close();
  }, 30_000);

  it('is replaced by a gRPC TurnDetector named in the pipeline YAML', async () => {
    const r = await remoteTurn({ probability: () => 0.97 }, 'remote');
    expect(r.endOfTurn).toMatchObject({ detector: 'grpc', falseCutoff: false });
    expect(r.endOfTurn?.probability).toBeCloseTo(0.97, 5);
    expect(r.metrics).toMatch(
      /relay_endpoint_wait_seconds_count\{pipeline="remote",detector="grpc"\} 1/,
    );
  }, 30_000);

  it('falls back to the embedded detector when the gRPC one never answers', async () => {
    const r = await remoteTurn({ silent: true }, 'hung');
    expect(r.endOfTurn).toMatchObject({ detector: 'semantic', falseCutoff: false });
    expect(r.metrics).toMatch(/relay_turn_detector_fallbacks_total\{pipeline="hung"\} [1-9]/);
    expect(r.metrics).toMatch(
      /relay_endpoint_wait_seconds_count\{pipeline="hung",detector="semantic"\} 1/,
    );
  }, 30_000);

  it('falls back to the embedded detector when the gRPC one is down', async () => {
    const server = await startSimTurnServer();
    const target = server.address;
    await server.close();
    const { pipeline, log } = h.session(testPipeline(grpc(target), 'down'));
    pipeline.start();
    await speak(pipeline);
    const m = await log.waitFor('turn.metrics', () => true, 15_000);
    expect(m.endOfTurn).toMatchObject({ detector: 'semantic' });
    pipeline.close();
  }, 30_000);
});
