import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/** The dead-air governor: a stalled stage gives filler audio, not silence. */
let sim: SimServer;
let relay: Relay;
let dir: string;
const fillerSyntheses: string[] = [];

beforeAll(async () => {
  sim = await startSimServer({
    // The LLM stalls well past the silence budget before its first token.
    llm: { ttftMs: 0, interTokenMs: 5, faults: { stallBeforeFirstMs: 1_500 } },
    tts: { firstAudioMs: 20, msPerChar: 20, chunkMs: 20, realTimeFactor: 0.2 },
  });
  sim.tts.events.on('call-started', (e) => {
    if (e.requestId.includes('.filler')) {
      fillerSyntheses.push(e.requestId);
    }
  });
  dir = await mkdtemp(join(tmpdir(), 'vr-deadair-'));
  await writeFile(
    join(dir, 'stall.yaml'),
    `name: stall
stages:
  stt: { endpoints: [embedded:sim], budgetMs: 3000 }
  llm: { endpoints: ['${sim.address}'], budgetMs: 10000, onBudgetExceeded: record }
  tts: { endpoints: ['${sim.address}'], budgetMs: 5000, voice: deadair }
fillers: { phrases: ['Hmm, one second.'] }
deadAir: { budgetMs: 300 }
`,
  );
  relay = await startTestRelay({ pipelinesDir: dir });
});

afterAll(async () => {
  await relay.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

describe('dead-air governor', () => {
  it('speaks a cached filler when a stage stalls past the budget and reports dead_air_ms', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'stall',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    const heard: string[] = [];
    for (const text of ['first question', 'second question']) {
      let audioBeforeText = 0;
      const before = c.log.of('response.text.delta').length;
      c.onAudio = () => {
        if (c.log.of('response.text.delta').length === before) {
          audioBeforeText++;
        }
      };
      c.sendEvent({ type: 'input.text', text });
      const started = await c.log.waitFor(
        'response.started',
        (e) => !c.log.of('turn.metrics').some((m) => m.turnId === e.turnId),
      );
      const breach = await c.log.waitFor('budget.exceeded', (e) => e.turnId === started.turnId);
      expect(breach).toMatchObject({ stage: 'dead_air', budgetMs: 300, action: 'filler' });
      expect(breach.elapsedMs).toBeGreaterThanOrEqual(300);
      await c.log.waitFor('response.filler', (e) => e.turnId === started.turnId);
      const metrics = await c.log.waitFor(
        'turn.metrics',
        (e) => e.turnId === started.turnId,
        20_000,
      );
      // Filler audio played while the LLM stalled: the caller did not hear only silence.
      expect(audioBeforeText).toBeGreaterThan(0);
      expect(metrics.deadAirMs).toBeGreaterThanOrEqual(300);
      expect(metrics.budgetsExceeded).toEqual([]);
      // What the caller heard, fillers included where they played, is the turn's heard text.
      const done = c.log.of('response.done').find((e) => e.turnId === started.turnId);
      const fillers = c.log.of('response.filler').filter((e) => e.turnId === started.turnId);
      expect(done?.heardText.startsWith('Hmm, one second.')).toBe(true);
      const parts = done?.heardText.split('Hmm, one second.') ?? [];
      expect(parts.length - 1).toBe(fillers.length);
      expect(parts.join(' ').replace(/\s+/g, ' ').trim()).toBe(done?.text);
      heard.push(done?.heardText ?? '');
    }
    // The history holds exactly what was heard: the second turn's request carries it.
    const req = sim.llm.requests.all.filter((r) =>
      r.messages.some((m) => m.content === 'second question'),
    );
    const assistant = req[0]?.messages.filter((m) => m.role === 'ASSISTANT').map((m) => m.content);
    expect(assistant).toEqual([heard[0]]);
    // The second filler came from the cache: one synthesis for two fillers.
    expect(c.log.of('response.filler').length).toBeGreaterThanOrEqual(2);
    expect(fillerSyntheses).toHaveLength(1);
    const text = await relay.metrics.registry.metrics();
    expect(text).toMatch(/relay_tts_cache_requests_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/relay_budget_exceeded_total\{stage="dead_air",action="filler"\} [1-9]/);
    // dead_air per turn is exported: both turns' silence (at least the budget each) is in it.
    expect(text).toMatch(/relay_dead_air_seconds_count [2-9]/);
    expect(text).not.toMatch(/relay_dead_air_seconds_bucket\{le="0.25"\} [1-9]/);
    await c.close();
  });
});
