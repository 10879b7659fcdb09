import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parsePipeline } from '../../config/pipelines.js';
import { TurnTaking } from '../turn-taking.js';
import { createTurnDetector } from './index.js';
import { RemoteTurnDetector, type RemoteEvent } from './remote.js';
import { SemanticDetector } from './semantic.js';
import { startSimTurnServer, type SimTurnServer } from './sim-server.js';

const BOUNDS = { minDelayMs: 200, maxDelayMs: 2000 };
const BUDGET_MS = 150;

const servers: SimTurnServer[] = [];
const detectors: RemoteTurnDetector[] = [];
afterEach(async () => {
  detectors.splice(0).forEach((d) => d.close());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(o: Parameters<typeof startSimTurnServer>[0] = {}): Promise<SimTurnServer> {
  const s = await startSimTurnServer(o);
  servers.push(s);
  return s;
}

/** A remote detector and a promise for each kind of event it reports. */
function remote(target: string): {
  d: RemoteTurnDetector;
  next: (e: RemoteEvent) => Promise<void>;
} {
  const waiters: { e: RemoteEvent; resolve: () => void }[] = [];
  const d = new RemoteTurnDetector({
    target,
    budgetMs: BUDGET_MS,
    bounds: BOUNDS,
    threshold: 0.7,
    sessionId: 's1',
    language: 'en-US',
    sampleRateHz: 16000,
    fallback: new SemanticDetector({ bounds: BOUNDS, threshold: 0.7, sampleRateHz: 16000 }),
    onEvent: (e) => {
      for (const w of waiters.filter((x) => x.e === e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
  });
  detectors.push(d);
  const next = (e: RemoteEvent): Promise<void> =>
    new Promise((resolve) => waiters.push({ e, resolve }));
  return { d, next };
}

describe('gRPC TurnDetector', () => {
  it("uses the server's probability when it answers within the budget", async () => {
    const s = await server({ probability: () => 0.93 });
    const { d, next } = remote(s.address);
    await next('ready');
    d.onSpeechStarted(0);
    d.onTranscript('I would like to', false);
    const answered = next('estimate');
    d.onSpeechStopped(1000);
    const held = d.estimate(1200);
    expect(held.waitMs).toBeGreaterThanOrEqual(1200 + BUDGET_MS - 1000); // not before the answer
    await answered;
    const est = d.estimate(1220);
    expect(est.probability).toBeCloseTo(0.93, 5);
    expect(est.waitMs).toBe(BOUNDS.minDelayMs);
    expect(d.name).toBe('grpc');
    expect(s.questions).toBeGreaterThanOrEqual(1);
    expect(d.fallbacks).toBe(0);
  });

  it('falls back to the embedded detector once a slow server overruns its budget', async () => {
    const s = await server({ delayMs: 60_000 });
    const { d, next } = remote(s.address);
    await next('ready');
    d.onSpeechStarted(0);
    d.onTranscript('book a table for two at seven', false);
    d.onSpeechStopped(1000);
    expect(d.estimate(1200).waitMs).toBeGreaterThanOrEqual(1200 + BUDGET_MS - 1000);
    const late = d.estimate(1200 + BUDGET_MS);
    expect(d.name).toBe('semantic');
    expect(late.waitMs).toBeLessThan(BOUNDS.maxDelayMs);
    expect(d.fallbacks).toBe(1);
  });

  it('answers from the fallback at once when the server is down', async () => {
    const s = await server();
    const target = s.address;
    await s.close();
    servers.splice(0);
    const { d, next } = remote(target);
    await next('failed');
    d.onSpeechStarted(0);
    d.onTranscript('so I was going to', false);
    d.onSpeechStopped(1000);
    const est = d.estimate(1600); // once the STT has caught up with the words
    expect(d.name).toBe('semantic');
    expect(est.probability).toBeLessThan(0.3);

    // And turn-taking ends the turn on the fallback's wait, with nobody answering.
    const t = new TurnTaking({
      detector: d,
      minDelayMs: BOUNDS.minDelayMs,
      maxDelayMs: BOUNDS.maxDelayMs,
      interruptions: false,
      minInterruptSpeechMs: 300,
      transcriptWaitMs: 300,
      backchannels: [],
      preemptive: false,
      preemptiveMinStability: 0,
    });
    // (within 5 s of the failure, so no reconnection is tried yet)
    t.onSpeechStarted(2000);
    t.onPartial('yes please', 0.9);
    t.onSpeechStopped(3000, 3100);
    let flushAt = 3000;
    while (flushAt < 3000 + BOUNDS.maxDelayMs && t.onTick(flushAt, flushAt).length === 0) {
      flushAt += 20;
    }
    // A complete answer: flushed well before the wait of a caller in mid-thought.
    expect(flushAt).toBeLessThan(3000 + BOUNDS.maxDelayMs / 2);
    expect(t.onTick(flushAt + 20, flushAt + 20)).toEqual([]); // flushed once
    expect(t.onFinal('yes please', 1, flushAt + 50)[0]).toMatchObject({
      type: 'commit',
      detector: 'semantic',
    });
  });

  it('is chosen from pipeline YAML, which names a missing target', () => {
    const yaml = `
name: demo
stages:
  stt: { endpoints: [embedded], budgetMs: 1500 }
  llm: { endpoints: [embedded], budgetMs: 2000 }
  tts: { endpoints: [embedded], budgetMs: 1000 }
endpoint:
  detector: grpc
`;
    expect(() => parsePipeline(yaml, '/x/demo.yaml')).toThrow(ConfigError);
    expect(() => parsePipeline(yaml, '/x/demo.yaml')).toThrow(/endpoint\.grpc/);
    const cfg = parsePipeline(
      `${yaml}  grpc: { target: "127.0.0.1:1", budgetMs: 80 }\n`,
      '/x/demo.yaml',
    );
    const d = createTurnDetector(cfg, 's1');
    expect(d).toBeInstanceOf(RemoteTurnDetector);
    d.close();
    const semantic = parsePipeline(yaml.replace('grpc', 'semantic'), '/x/demo.yaml');
    expect(createTurnDetector(semantic, 's1').name).toBe('semantic');
  });
});
