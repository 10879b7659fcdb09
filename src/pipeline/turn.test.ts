import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../errors/errors.js';
import type { ServerEvent } from '../frames/events.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { FakeTurnStages } from '../testing/fake-turn-stages.js';
import { testPipeline } from '../testing/pipeline-harness.js';
import { Turn, type TurnResult } from './turn.js';
import { ClientTools } from './tools/client-tools.js';
import { TtsCache } from '../stages/tts-cache.js';

const YAML = (llmBudgetMs: number, action = 'cancel', llmEndpoints = '[a:1]'): string => `
stages:
  stt: { endpoints: [embedded], budgetMs: 3000 }
  llm: { endpoints: ${llmEndpoints}, budgetMs: ${llmBudgetMs}, onBudgetExceeded: ${action} }
  tts: { endpoints: [embedded], budgetMs: 60000 }
`;

interface Rig {
  turn: Turn;
  stages: FakeTurnStages;
  metrics: Metrics;
  events: ServerEvent[];
  result: Promise<TurnResult>;
}

function rig(yaml = YAML(60_000)): Rig {
  const stages = new FakeTurnStages();
  const metrics = createMetrics();
  const events: ServerEvent[] = [];
  let end: (r: TurnResult) => void = () => undefined;
  const result = new Promise<TurnResult>((resolve) => (end = resolve));
  let seq = 0;
  const turn = new Turn(
    {
      sessionId: 's1',
      config: testPipeline(yaml),
      stages,
      metrics,
      logger: silentLogger(),
      emit: (ev) => events.push(ev),
      enqueue: () => undefined,
      markEnd: (cb) => cb(),
      nextOutputSeq: () => seq++,
      marksInUse: () => false,
      clientTools: new ClientTools(),
      ttsCache: new TtsCache(1 << 20),
      toolResultKept: () => undefined,
    },
    {
      turnId: 's1.t1',
      userText: 'hi',
      messages: [{ role: 'user', content: 'hi' }],
      speechEndTsMs: null,
      endpointTsMs: null,
      sttFinalTsMs: null,
    },
    (_t, r) => end(r),
  );
  return { turn, stages, metrics, events, result };
}

async function waiting(m: Metrics): Promise<number> {
  return (await m.waitingFirstToken.get()).values[0]?.value ?? 0;
}

async function turnsCounted(m: Metrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await m.turns.get()).values) {
    const l = v.labels;
    out[[l.outcome, l.stage, l.reason].filter((x) => x !== '' && x !== undefined).join('/')] =
      v.value;
  }
  return out;
}

let live: Rig | undefined;
afterEach(() => {
  live?.turn.cancel();
  live = undefined;
});

describe('Turn over fake stages: the waiting-first-token gauge and the outcome count', () => {
  it('success: one wait, ended by the first token; counted done', async () => {
    const r = (live = rig());
    r.turn.start();
    expect(await waiting(r.metrics)).toBe(1);
    const llm = r.stages.llm[0];
    llm?.emit({ kind: 'delta', text: 'Hello there.' });
    expect(await waiting(r.metrics)).toBe(0);
    llm?.done();
    const tts = r.stages.tts[0];
    expect(tts?.text.join('')).toBe('Hello there.');
    expect(tts?.ended).toBe(true);
    tts?.emit({ audio: Buffer.alloc(640), textEnd: null });
    tts?.done();
    expect((await r.result).outcome).toBe('done');
    expect(await waiting(r.metrics)).toBe(0);
    expect(await turnsCounted(r.metrics)).toEqual({ done: 1 });
  });

  it('an LLM error before the first token: back to 0 (not -1); counted failed with stage and reason', async () => {
    const r = (live = rig());
    r.turn.start();
    r.stages.llm[0]?.done(new RelayError('RELAY_ERR_STAGE_UNAVAILABLE', 'down'));
    const res = await r.result;
    expect(res.outcome).toBe('failed');
    expect(await waiting(r.metrics)).toBe(0);
    expect(await turnsCounted(r.metrics)).toEqual({
      'failed/llm/RELAY_ERR_STAGE_UNAVAILABLE': 1,
    });
    expect(r.events.some((e) => e.type === 'error')).toBe(true);
  });

  it('an LLM call that ends without a token: back to 0', async () => {
    const r = (live = rig());
    r.turn.start();
    r.stages.llm[0]?.done();
    expect((await r.result).outcome).toBe('done');
    expect(await waiting(r.metrics)).toBe(0);
  });

  it('session close before the first token: back to 0; counted cancelled', async () => {
    const r = (live = rig());
    r.turn.start();
    r.turn.cancel();
    expect((await r.result).outcome).toBe('cancelled');
    expect(r.stages.llm[0]?.cancelled).toBe('cancel');
    expect(await waiting(r.metrics)).toBe(0);
    expect(await turnsCounted(r.metrics)).toEqual({ cancelled: 1 });
  });

  it('a discarded preemptive generation is not an outcome of its utterance', async () => {
    const r = (live = rig());
    r.turn.start();
    r.turn.cancel('discarded');
    await r.result;
    expect(await waiting(r.metrics)).toBe(0);
    expect(await turnsCounted(r.metrics)).toEqual({});
  });

  it('barge-in before the first token: back to 0; counted interrupted', async () => {
    const r = (live = rig());
    r.turn.start();
    r.turn.interrupt();
    expect((await r.result).outcome).toBe('interrupted');
    expect(await waiting(r.metrics)).toBe(0);
    expect(await turnsCounted(r.metrics)).toEqual({ interrupted: 1 });
  });

  it('a missed LLM budget (cancel): back to 0; counted failed on the deadline', async () => {
    const r = (live = rig(YAML(30)));
    r.turn.start();
    const res = await r.result;
    expect(res.outcome).toBe('failed');
    expect(res.metrics.budgetsExceeded).toEqual(['llm']);
    expect(await waiting(r.metrics)).toBe(0);
    expect(await turnsCounted(r.metrics)).toEqual({ 'failed/llm/RELAY_ERR_DEADLINE': 1 });
  });

  it('a missed LLM budget with fallback: one wait at a time, 0 at the end', async () => {
    const r = (live = rig(YAML(30, 'fallback', '[a:1, b:2]')));
    r.turn.start();
    await r.stages.started('llm', 2);
    expect(r.stages.llm[0]?.cancelled).toBe('cancel');
    expect(r.stages.llm[1]?.req.endpoint).toBe('b:2');
    expect(await waiting(r.metrics)).toBe(1);
    r.stages.llm[1]?.done(new RelayError('RELAY_ERR_STAGE_FAILED', 'bad'));
    expect((await r.result).outcome).toBe('failed');
    expect(await waiting(r.metrics)).toBe(0);
  });
});

describe('Turn fillers', () => {
  it('a filler is in what the caller may hear back (echo) and in the heard text, in playout order', async () => {
    const r = (live = rig(`${YAML(60_000)}fillers: { phrases: ['Hold on.'] }
deadAir: { budgetMs: 20 }
`));
    r.turn.start();
    // The LLM is silent past the budget: the governor asks for a filler.
    await r.stages.started('tts', 1);
    const filler = r.stages.tts[0];
    expect(filler?.req.requestId).toContain('.filler');
    filler?.emit({ audio: Buffer.alloc(640), textEnd: 4 });
    filler?.emit({ audio: Buffer.alloc(640), textEnd: 8 });
    filler?.done();
    // The synthesis settles through the cache in promise callbacks only.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(r.turn.spokenText.startsWith('Hold on.')).toBe(true);
    const llm = r.stages.llm[0];
    llm?.emit({ kind: 'delta', text: 'Here it is.' });
    llm?.done();
    const reply = r.stages.tts.find((c) => !c.req.requestId.includes('.filler'));
    expect(r.turn.spokenText).toMatch(/^(Hold on\. )+ ?Here it is\.$/);
    reply?.emit({ audio: Buffer.alloc(640), textEnd: null });
    reply?.done();
    const res = await r.result;
    expect(res.heardText).toMatch(/^(Hold on\. )+Here it is\.$/);
    expect(res.history).toEqual([{ role: 'assistant', content: res.heardText }]);
    expect(r.events.find((e) => e.type === 'response.done')).toMatchObject({
      text: 'Here it is.',
      heardText: res.heardText,
    });
  });
});
