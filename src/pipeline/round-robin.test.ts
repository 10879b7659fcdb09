import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ticker } from '../core/ticker.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { StageClients } from '../stages/stage-clients.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { EventLog } from '../client/event-log.js';
import { testPipeline } from '../testing/pipeline-harness.js';
import { SessionPipeline } from './session-pipeline.js';

// Three engines, each hosting all three stages; every stage lists all three, round-robin.
let sims: SimServer[];
let clients: StageClients;
let ticker: Ticker;

beforeAll(async () => {
  sims = await Promise.all([startSimServer(), startSimServer(), startSimServer()]);
  clients = new StageClients();
  ticker = new Ticker(20);
});
afterAll(async () => {
  clients.close();
  ticker.stop();
  await Promise.all(sims.map((s) => s.close()));
});

function pipelineYaml(): string {
  const eps = `[${sims.map((s) => s.address).join(', ')}]`;
  const rr = `endpoints: ${eps}, balance: round-robin, budgetMs: 10000`;
  return `
stages:
  stt: { ${rr} }
  llm: { ${rr} }
  tts: { ${rr} }
`;
}

describe('round-robin balance', () => {
  it('rotates over three endpoints across successive turns and sessions', async () => {
    const config = testPipeline(pipelineYaml(), 'rr');
    const metrics = createMetrics();
    const deps = { stages: grpcStageFactory(clients), ticker, metrics, logger: silentLogger() };
    const sessions = ['a', 'b'].map((id) => {
      const log = new EventLog();
      const pipeline = new SessionPipeline({
        sessionId: id,
        config,
        deps,
        onEvent: log.push,
        onAudio: () => undefined,
      });
      pipeline.start();
      return { pipeline, log };
    });
    // Six turns, alternating between the two sessions: two LLM calls per endpoint,
    // taken in turn (the next call always goes to the next endpoint).
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = sessions[i % 2];
      if (s === undefined) {
        throw new Error('no session');
      }
      s.pipeline.inputText(`turn ${i}`);
      await s.log.waitFor('response.done', () => true, 30_000, Math.floor(i / 2) + 1);
      const served = sims.findIndex((sim) => sim.llm.requests.all.length > countAt(order, sim));
      order.push(served);
    }
    expect(sims.map((s) => s.llm.requests.all.length)).toEqual([2, 2, 2]);
    expect(new Set(order.slice(0, 3)).size).toBe(3);
    expect(order.slice(3)).toEqual(order.slice(0, 3));
    expect(sims.map((s) => s.tts.stats.started)).toEqual([2, 2, 2]);
    // Each session's STT stream went to a different endpoint (a third one would take the last).
    expect(sims.map((s) => s.stt.stats.started).filter((n) => n === 1)).toHaveLength(2);
    for (const s of sessions) {
      s.pipeline.close();
    }

    function countAt(seen: number[], sim: SimServer): number {
      const i = sims.indexOf(sim);
      return seen.filter((x) => x === i).length;
    }
  });
});
