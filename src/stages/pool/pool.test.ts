import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../client/event-log.js';
import { Ticker } from '../../core/ticker.js';
import { startSimServer, type SimServer } from '../../engines/sim/server.js';
import { silentLogger } from '../../observability/logger.js';
import { createMetrics } from '../../observability/metrics.js';
import { SessionPipeline } from '../../pipeline/session-pipeline.js';
import { testPipeline } from '../../testing/pipeline-harness.js';
import { grpcStageFactory } from '../grpc-stage-factory.js';
import { StageClients } from '../stage-clients.js';
import { DEFAULT_POOL_SETTINGS, EndpointPool } from './endpoint-pool.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    await c();
  }
});

async function ttsSim(faults?: Record<string, unknown>): Promise<SimServer> {
  const s = await startSimServer({
    engines: ['tts'],
    tts: faults === undefined ? { firstAudioMs: 10 } : { firstAudioMs: 10, faults },
  });
  cleanups.push(() => s.close());
  return s;
}

async function sim(ttftMs: number, port = 0, faults?: Record<string, unknown>): Promise<SimServer> {
  const s = await startSimServer({
    port,
    engines: ['llm'],
    llm: faults === undefined ? { ttftMs } : { ttftMs, faults },
  });
  cleanups.push(() => s.close());
  return s;
}

/** A session whose STT (and TTS unless `ttsYaml`) run on `base` and whose LLM stage is `llmYaml`. */
async function session(llmYaml: string, ttsYaml?: string) {
  const base = await startSimServer({ engines: ['stt', 'tts'] });
  const metrics = createMetrics();
  const clients = new StageClients({ metrics });
  const ticker = new Ticker(20);
  const config = testPipeline(
    `
stages:
  stt: { endpoints: [${base.address}], budgetMs: 10000 }
  llm: { ${llmYaml} }
  tts: { ${ttsYaml ?? `endpoints: [${base.address}], budgetMs: 10000`} }
`,
    'pool',
  );
  const log = new EventLog();
  const pipeline = new SessionPipeline({
    sessionId: 's1',
    config,
    deps: { stages: grpcStageFactory(clients), ticker, metrics, logger: silentLogger() },
    onEvent: log.push,
    onAudio: () => undefined,
  });
  pipeline.start();
  cleanups.push(async () => {
    pipeline.close();
    clients.close();
    ticker.stop();
    await base.close();
  });
  let turns = 0;
  /** One text turn, answered in full (any error event fails the test). */
  const turn = async (): Promise<void> => {
    turns++;
    pipeline.inputText(`turn ${turns}`);
    await log.waitFor('response.done', () => true, 30_000, turns);
    expect(log.of('error')).toEqual([]);
  };
  return { clients, metrics, log, turn };
}

function served(sims: SimServer[]): number[] {
  return sims.map((s) => s.llm.requests.all.length);
}

describe('endpoint pool', () => {
  it('prefers the fast endpoint, moves off it when it dies without a failed turn, and takes it back once healthy', async () => {
    const slow = await sim(1000);
    const mid = await sim(500);
    let fast = await sim(10);
    const sims = [slow, mid, fast];
    const eps = sims.map((s) => s.address).join(', ');
    const { clients, turn } = await session(
      `endpoints: [${eps}], balance: latency, budgetMs: 10000, onBudgetExceeded: record,
       pool: { healthCheck: { intervalMs: 50, timeoutMs: 1000, unhealthyAfter: 1, healthyAfter: 1 } }`,
    );
    // Every endpoint is measured once, then the fast one takes the turns.
    for (let i = 0; i < 6; i++) {
      await turn();
    }
    expect(served(sims)).toEqual([1, 1, 4]);

    // Kill the fast engine: turns keep succeeding, on the next best one.
    const down = once(clients.pools.events, 'health', {
      signal: AbortSignal.timeout(30_000),
    }) as Promise<[string, string, boolean]>;
    await fast.close();
    for (let i = 0; i < 2; i++) {
      await turn();
    }
    expect(served([slow, mid])).toEqual([1, 3]);
    expect((await down).slice(1)).toEqual([fast.address, false]);

    // Back on the same port: the health check returns it and it takes the traffic again.
    const port = fast.port;
    const up = once(clients.pools.events, 'health', { signal: AbortSignal.timeout(30_000) });
    fast = await sim(10, port);
    expect((await up).slice(1)).toEqual([fast.address, true]);
    await turn();
    await turn();
    expect(fast.llm.requests.all.length).toBe(2);
    expect(served([slow, mid])).toEqual([1, 3]);
  });

  it('retries a call that fails before its first token on the next endpoint', async () => {
    const broken = await sim(10, 0, { errorAfterMessages: 0, errorCode: 'UNAVAILABLE' });
    const good = await sim(10);
    const { metrics, turn } = await session(
      `endpoints: [${broken.address}, ${good.address}], budgetMs: 10000, pool: {}`,
    );
    await turn();
    expect(served([broken, good])).toEqual([1, 1]);
    expect((await metrics.stageRetries.get()).values[0]?.value).toBe(1);
  });

  it('hedges a stalled call: the hedge answers, the stalled leg is cancelled', async () => {
    const stalled = await sim(10, 0, { stallBeforeFirstMs: 'Infinity' });
    const good = await sim(10);
    const { metrics, log, turn } = await session(
      `endpoints: [${stalled.address}, ${good.address}], budgetMs: 10000,
       pool: { hedgeAfterMs: 100 }`,
    );
    const cancelled = stalled.llm.waitFor('call-cancelled', () => true, 30_000);
    await turn();
    await cancelled;
    expect(served([stalled, good])).toEqual([1, 1]);
    const hedges = (await metrics.stageHedges.get()).values;
    const count = (result: string): number | undefined =>
      hedges.find((v) => v.labels['result'] === result)?.value;
    expect([count('started'), count('won')]).toEqual([1, 1]);
    // The winner is reported: in turn.metrics (and so the audit record) and as a label.
    expect(log.of('turn.metrics')[0]?.llmEndpoint).toBe(good.address);
    expect(hedges.find((v) => v.labels['result'] === 'won')?.labels['endpoint']).toBe(good.address);
  });

  it('hedges a stalled TTS call: the hedge speaks the reply, the stalled leg is cancelled', async () => {
    const llm = await sim(10);
    const stalled = await ttsSim({ stallBeforeFirstMs: 'Infinity' });
    const good = await ttsSim();
    const { metrics, log, turn } = await session(
      `endpoints: [${llm.address}], budgetMs: 10000`,
      `endpoints: [${stalled.address}, ${good.address}], budgetMs: 10000, pool: { hedgeAfterMs: 100 }`,
    );
    const cancelled = stalled.tts.waitFor('call-cancelled', () => true, 30_000);
    await turn();
    const loser = await cancelled;
    expect(loser.method).toBe('Synthesize');
    expect(stalled.tts.stats.started).toBe(1);
    expect(good.tts.stats.started).toBe(1);
    // The reply was heard in full (from the hedge), with the winner reported.
    expect(log.of('response.done')).toHaveLength(1);
    expect(log.of('turn.metrics')[0]?.ttsEndpoint).toBe(good.address);
    const hedges = (await metrics.stageHedges.get()).values;
    const won = hedges.find((v) => v.labels['result'] === 'won');
    expect(won?.labels).toMatchObject({ stage: 'tts', endpoint: good.address });
    expect(won?.value).toBe(1);
  });
});

describe('EndpointPool breaker', () => {
  it('opens after consecutive failures, half-opens after the ejection time, closes on a good trial', () => {
    let now = 1_000;
    const pool = new EndpointPool(
      ['a', 'b'],
      'failover',
      { ...DEFAULT_POOL_SETTINGS, eject: { ...DEFAULT_POOL_SETTINGS.eject, ejectMs: 100 } },
      {},
      { now: () => now },
    );
    for (let i = 0; i < 3; i++) {
      pool.lease('a').end(true);
    }
    expect(pool.route().pick(0)).toBe('b');
    expect(pool.status()[0]?.breaker).toBe('open');
    now += 100;
    expect(pool.route().pick(0)).toBe('a');
    const trial = pool.lease('a');
    // Only one trial at a time.
    expect(pool.route().pick(0)).toBe('b');
    trial.first(5);
    trial.end(false);
    expect(pool.status()[0]?.breaker).toBe('closed');
    // A failed trial opens it again, for twice as long.
    for (let i = 0; i < 3; i++) {
      pool.lease('a').end(true);
    }
    now += 100;
    pool.lease('a').end(true);
    now += 150;
    expect(pool.route().pick(0)).toBe('b');
    now += 50;
    expect(pool.route().pick(0)).toBe('a');
  });

  it('counts slow first responses as failures and weights the latency balance', () => {
    const pool = new EndpointPool(['a', 'b'], 'latency', {
      ...DEFAULT_POOL_SETTINGS,
      weights: [1, 4],
      eject: { ...DEFAULT_POOL_SETTINGS.eject, consecutiveFailures: 1, slowMs: 500 },
    });
    const a = pool.lease('a');
    a.first(100);
    a.end(false);
    const b = pool.lease('b');
    b.first(300);
    b.end(false);
    // 300 / 4 < 100 / 1: the heavier endpoint wins despite its latency.
    expect(pool.route().pick(0)).toBe('b');
    const slow = pool.lease('b');
    slow.first(900);
    slow.end(false);
    expect(pool.status()[1]?.breaker).toBe('open');
    expect(pool.route().pick(0)).toBe('a');
  });
});
