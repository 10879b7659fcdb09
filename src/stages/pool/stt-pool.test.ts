import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../engines/sim/server.js';
import { silentLogger } from '../../observability/logger.js';
import { createMetrics } from '../../observability/metrics.js';
import { until } from '../../testing/gateway-client.js';
import { testPipeline } from '../../testing/pipeline-harness.js';
import { grpcStageFactory } from '../grpc-stage-factory.js';
import { StageClients } from '../stage-clients.js';
import type { SttStage } from '../stage-ports.js';
import { poolSettingsOf } from './endpoint-pool.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    await c();
  }
});

async function sttSim(): Promise<SimServer> {
  const s = await startSimServer({ engines: ['stt'] });
  cleanups.push(() => s.close());
  return s;
}

/** A process's stage clients, and STT streams opened on `sttYaml` the way sessions open them. */
function stage(sttYaml: string) {
  const metrics = createMetrics();
  const clients = new StageClients({ metrics });
  cleanups.push(() => clients.close());
  const config = testPipeline(
    `stages:
  stt: { ${sttYaml}, budgetMs: 10000 }
  llm: { endpoints: [embedded:sim], budgetMs: 10000 }
  tts: { endpoints: [embedded:sim], budgetMs: 10000 }
`,
    'stt-pool',
  );
  const stt = config.stages.stt;
  const open = (sessionId: string): SttStage => {
    const s = grpcStageFactory(clients).openStt({
      sessionId,
      config: stt,
      sampleRateHz: 16_000,
      maxPendingFrames: 500,
      metrics,
      logger: silentLogger(),
      handlers: {
        onTranscript: () => undefined,
        onSpeechEvent: () => undefined,
        onFlushDone: () => undefined,
        onFailure: () => undefined,
      },
    });
    cleanups.push(() => s.close());
    s.start();
    return s;
  };
  const settings = poolSettingsOf(stt);
  if (settings === undefined) {
    throw new Error('expected a pooled STT stage');
  }
  const pool = clients.pools.get('stt', stt.endpoints, stt.balance, settings);
  return { clients, metrics, open, pool };
}

describe('STT streams on the endpoint pool', () => {
  it('spreads streams by the latency balance: each opens on the least loaded endpoint', async () => {
    const a = await sttSim();
    const b = await sttSim();
    const { open, pool } = stage(`endpoints: [${a.address}, ${b.address}], balance: latency`);
    const first = open('s1');
    expect(first.endpoint).toBe(a.address);
    await a.stt.waitFor('call-started', () => true, 15_000);
    // Its `ready` answer measures it.
    await until(async () =>
      Promise.resolve(pool.status()[0]?.ewmaMs === undefined ? undefined : 1),
    );
    const second = open('s2');
    // `a` carries a stream (and was measured): the unmeasured, idle `b` comes first.
    expect(second.endpoint).toBe(b.address);
    await b.stt.waitFor('call-started', () => true, 15_000);
    expect(pool.status().map((e) => e.inFlight)).toEqual([1, 1]);
  });

  it('opens no stream on an endpoint its health check took out', async () => {
    const a = await sttSim();
    const b = await sttSim();
    const { clients, open } = stage(
      `endpoints: [${a.address}, ${b.address}],
       pool: { healthCheck: { intervalMs: 50, timeoutMs: 1000, unhealthyAfter: 1, healthyAfter: 1 } }`,
    );
    const down = once(clients.pools.events, 'health', { signal: AbortSignal.timeout(30_000) });
    a.health.setStatus('voicerelay.v1.SpeechToText', 'NOT_SERVING');
    expect((await down).slice(1)).toEqual([a.address, false]);
    const s = open('s1');
    expect(s.endpoint).toBe(b.address);
    await b.stt.waitFor('call-started', () => true, 15_000);
    expect(a.stt.stats.started).toBe(0);
  });
});
