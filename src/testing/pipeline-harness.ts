import { parsePipeline } from '../config/pipelines.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import { Ticker } from '../core/ticker.js';
import { startSimServer, type SimServer, type SimServerOptions } from '../engines/sim/server.js';
import type { OutputFrame } from '../frames/frames.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import { SessionPipeline } from '../pipeline/session-pipeline.js';
import { StageClients } from '../stages/stage-clients.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { EventLog } from './event-log.js';

/** A pipeline YAML for tests: embedded endpoints, with fields overridable by a YAML fragment. */
export function testPipeline(extraYaml = '', name = 'test'): PipelineConfig {
  return parsePipeline(`name: ${name}\n${extraYaml}`, `/pipelines/${name}.yaml`);
}

export interface PipelineHarness {
  sim: SimServer;
  clients: StageClients;
  ticker: Ticker;
  metrics: Metrics;
  /** A new session on `config`, collecting its events and output frames. */
  session(config: PipelineConfig, id?: string): HarnessSession;
  close(): Promise<void>;
}

export interface HarnessSession {
  pipeline: SessionPipeline;
  log: EventLog;
  frames: OutputFrame[];
}

export async function startPipelineHarness(sim: SimServerOptions = {}): Promise<PipelineHarness> {
  const server = await startSimServer(sim);
  const clients = new StageClients({
    embedded: { stt: server.address, llm: server.address, tts: server.address },
  });
  const ticker = new Ticker(20);
  const metrics = createMetrics();
  const logger = silentLogger();
  const sessions: SessionPipeline[] = [];
  let n = 0;
  return {
    sim: server,
    clients,
    ticker,
    metrics,
    session(config, id) {
      const log = new EventLog();
      const frames: OutputFrame[] = [];
      const pipeline = new SessionPipeline({
        sessionId: id ?? `s${++n}`,
        config,
        deps: { stages: grpcStageFactory(clients), ticker, metrics, logger },
        onEvent: log.push,
        onAudio: (f) => frames.push(f),
      });
      sessions.push(pipeline);
      return { pipeline, log, frames };
    },
    async close() {
      for (const s of sessions) {
        s.close();
      }
      clients.close();
      ticker.stop();
      await server.close();
    },
  };
}
