import { writeFile } from 'node:fs/promises';
import { loadPipelines } from '../config/pipelines.js';
import { Ticker } from '../core/ticker.js';
import type { TurnMetrics } from '../frames/events.js';
import type { OutputFrame } from '../frames/frames.js';
import { feedRealtime } from '../media/frame-feeder.js';
import { silence } from '../media/pcm.js';
import { encodeWav } from '../media/wav.js';
import { inputPcm } from './wav-input.js';
import { createMetrics } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import { SessionPipeline } from '../pipeline/session-pipeline.js';
import { describeEvent } from './print-events.js';
import { startEmbeddedEngines } from '../server/embedded-engines.js';
import { StageClients } from '../stages/stage-clients.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { placeFrames } from './reply-audio.js';

export interface LocalRunOptions {
  pipelinesDir: string;
  pipeline: string;
  wav: string | undefined;
  out: string;
  /** Trailing silence appended so the last utterance reaches its endpoint. */
  tailMs: number;
  print(line: string): void;
}

/** Run one session through the pipeline in-process from a WAV file (or a generated demo). */
export async function runLocal(o: LocalRunOptions): Promise<TurnMetrics[]> {
  const pipelines = await loadPipelines(o.pipelinesDir);
  const config = pipelines.get(o.pipeline);
  if (config === undefined) {
    throw new Error(`unknown pipeline "${o.pipeline}" (have: ${[...pipelines.keys()].join(', ')})`);
  }
  const rate = config.audio.sampleRateHz;
  let pcm = await inputPcm(o.wav, rate);
  if (o.wav === undefined) {
    o.print(`input: generated demo speech (2 utterances), ${rate} Hz`);
  } else {
    o.print(`input: ${o.wav}, ${((pcm.length / 2 / rate) * 1000).toFixed(0)} ms at ${rate} Hz`);
  }
  pcm = Buffer.concat([pcm, silence(o.tailMs, rate)]);

  const engines = await startEmbeddedEngines([config], silentLogger());
  const clients = new StageClients({ engines: engines.targets, auto: engines.auto });
  const ticker = new Ticker(20);
  const frames: OutputFrame[] = [];
  const turns: TurnMetrics[] = [];
  let pending = 0;
  let idle: (() => void) | undefined;
  const pipeline = new SessionPipeline({
    sessionId: 'cli',
    config,
    deps: {
      stages: grpcStageFactory(clients),
      ticker,
      metrics: createMetrics(),
      logger: silentLogger(),
    },
    onAudio: (f) => frames.push(f),
    onEvent: (ev) => {
      const line = describeEvent(ev);
      if (line !== undefined) {
        o.print(line);
      }
      if (ev.type === 'transcript.final') {
        pending++;
      } else if (ev.type === 'turn.metrics') {
        turns.push(ev);
        pending--;
        if (pending === 0) {
          idle?.();
        }
      }
    },
  });
  const startMs = Date.now();
  try {
    pipeline.start();
    await feedRealtime(pcm, { sampleRateHz: rate, ticker, onFrame: (f) => pipeline.pushAudio(f) });
    if (pending > 0) {
      await new Promise<void>((resolve) => {
        idle = resolve;
      });
    }
  } finally {
    pipeline.close();
    clients.close();
    ticker.stop();
    await engines.close();
  }
  const reply = placeFrames(frames, rate);
  await writeFile(o.out, encodeWav({ sampleRateHz: rate, channels: 1, data: reply }));
  o.print(
    `reply audio: ${o.out} (${((reply.length / 2 / rate) * 1000).toFixed(0)} ms, ${frames.length} frames) in ${Date.now() - startMs} ms`,
  );
  return turns;
}
