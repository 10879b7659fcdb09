import { performance } from 'node:perf_hooks';
import { parsePipeline } from '../config/pipelines.js';
import { Ticker } from '../core/ticker.js';
import { FRAME_MS, type AudioFrame } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import { synthVoice, silence } from '../media/pcm.js';
import { createMetrics } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import { SessionPipeline } from '../pipeline/session-pipeline.js';
import { StageClients } from '../stages/stage-clients.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { spawnEngine } from './child-engine.js';

export interface PipelineCostResult {
  sessions: number;
  seconds: number;
  frames: number;
  /** Relay-process CPU per 20 ms input frame, pipeline minus the feeder alone. */
  cpuUsPerFrame: number;
  baselineUsPerFrame: number;
}

const YAML = `name: bench
stages:
  stt: { endpoints: [embedded], budgetMs: 5000, endpointing: { silenceMs: 400 } }
  llm: { endpoints: [embedded], budgetMs: 5000 }
  tts: { endpoints: [embedded], budgetMs: 5000 }
`;

/**
 * CPU cost of the session pipeline per input frame: N sessions stream speech-like
 * audio at 50 frames/s through VAD, the STT stream, turns, TTS and pacing, against
 * sim engines in another process. The same feeder with a no-op sink is the baseline.
 */
export async function benchPipelineCost(
  sessions: number,
  seconds: number,
): Promise<PipelineCostResult> {
  const engine = await spawnEngine('sim');
  const clients = new StageClients({
    embedded: { stt: engine.address, llm: engine.address, tts: engine.address },
  });
  const ticker = new Ticker(20);
  const config = parsePipeline(YAML, '/bench/bench.yaml');
  const voice = synthVoice(1000, 16000);
  const quiet = silence(1500, 16000);
  const pattern = Buffer.concat([voice, quiet]);
  const fb = 640;
  try {
    const run = async (
      sink: ((i: number, f: AudioFrame) => void) | undefined,
    ): Promise<{ cpuUs: number; frames: number }> => {
      const pipes: SessionPipeline[] = [];
      for (let i = 0; i < sessions; i++) {
        const p = new SessionPipeline({
          sessionId: `b${i}`,
          config,
          deps: {
            stages: grpcStageFactory(clients),
            ticker,
            metrics: createMetrics(),
            logger: silentLogger(),
          },
          onEvent: () => undefined,
          onAudio: () => undefined,
        });
        if (sink !== undefined) {
          p.start();
        }
        pipes.push(p);
      }
      let frames = 0;
      let k = 0;
      const startMs = nowMs();
      const cpu0 = process.cpuUsage();
      await new Promise<void>((resolve) => {
        const off = ticker.subscribe(() => {
          const due = Math.floor((nowMs() - startMs) / FRAME_MS);
          for (; k < due; k++) {
            const off0 = (k * fb) % pattern.length;
            const payload = pattern.subarray(off0, off0 + fb);
            for (let i = 0; i < sessions; i++) {
              const f: AudioFrame = {
                seq: k,
                captureTsMs: startMs + k * FRAME_MS,
                arrivalTsMs: nowMs(),
                payload,
                concealed: false,
              };
              if (sink === undefined) {
                frames += f.payload.length > 0 ? 1 : 0;
              } else {
                pipes[i]?.pushAudio(f);
                frames++;
              }
            }
          }
          if (nowMs() - startMs >= seconds * 1000) {
            off();
            resolve();
          }
        });
      });
      const cpu = process.cpuUsage(cpu0);
      for (const p of pipes) {
        p.close();
      }
      return { cpuUs: cpu.user + cpu.system, frames };
    };
    const base = await run(undefined);
    const full = await run(() => undefined);
    const baselineUsPerFrame = base.cpuUs / Math.max(1, base.frames);
    return {
      sessions,
      seconds,
      frames: full.frames,
      cpuUsPerFrame: full.cpuUs / Math.max(1, full.frames) - baselineUsPerFrame,
      baselineUsPerFrame,
    };
  } finally {
    ticker.stop();
    clients.close();
    await engine.stop();
    void performance;
  }
}
