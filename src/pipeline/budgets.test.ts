import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedRealtime } from '../media/frame-feeder.js';
import { scriptedAudio } from '../media/speech-script.js';
import {
  startPipelineHarness,
  testPipeline,
  type PipelineHarness,
} from '../testing/pipeline-harness.js';

const RATE = 16000;

function pipelineYaml(stall: 'stt' | 'llm' | 'tts' | 'none', extra = ''): string {
  const sim = (stage: string, base: string): string =>
    stall === stage
      ? `{ ${base}${base === '' ? '' : ', '}faults: { stallBeforeFirstMs: 120000 } }`
      : `{ ${base} }`;
  return `
stages:
  stt:
    endpoints: [embedded]
    budgetMs: 700
    endpointing: { silenceMs: 300 }
    sim: ${sim('stt', 'finalDelayMs: 50')}
  llm:
    endpoints: [embedded]
    budgetMs: 400
    sim: ${sim('llm', 'ttftMs: 50, interTokenMs: 5')}
  tts:
    endpoints: [embedded]
    budgetMs: 400
    sim: ${sim('tts', 'firstAudioMs: 30, msPerChar: 40')}
${extra}`;
}

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h.close();
});

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = h.metrics.registry.getSingleMetric(name);
  const data = await metric?.get();
  const v = data?.values.find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value ?? 0;
}

describe('stage budgets are deadlines', () => {
  it.each(['llm', 'tts'] as const)(
    'a stalled %s stage is cancelled at its budget',
    async (stage) => {
      const before = await metricValue('relay_budget_exceeded_total', { stage, action: 'cancel' });
      const { pipeline, log } = h.session(testPipeline(pipelineYaml(stage)));
      pipeline.start();
      const engine = stage === 'llm' ? h.sim.llm : h.sim.tts;
      const cancelled = engine.waitFor(
        'call-cancelled',
        (c) => c.requestId.startsWith(pipeline.sessionId),
        20_000,
      );
      pipeline.inputText('hello');
      const ev = await log.waitFor('budget.exceeded');
      expect(ev).toMatchObject({ stage, action: 'cancel', budgetMs: 400 });
      expect(ev.elapsedMs).toBeGreaterThanOrEqual(400);
      await cancelled;
      const err = await log.waitFor('error');
      expect(err.code).toBe('RELAY_ERR_DEADLINE');
      const m = await log.waitFor('turn.metrics');
      expect(m.budgetsExceeded).toEqual([stage]);
      expect(await metricValue('relay_budget_exceeded_total', { stage, action: 'cancel' })).toBe(
        before + 1,
      );
      pipeline.close();
    },
  );

  it('a stalled stt stage is cancelled at its budget after speech end and the stream re-opened', async () => {
    const { pipeline, log } = h.session(testPipeline(pipelineYaml('stt')));
    const starts: number[] = [];
    const onStart = (c: { requestId: string; startedAtMs: number }): void => {
      if (c.requestId === pipeline.sessionId) {
        starts.push(c.startedAtMs);
      }
    };
    h.sim.stt.events.on('call-started', onStart);
    const started = h.sim.stt.waitFor(
      'call-started',
      (c) => c.requestId === pipeline.sessionId,
      20_000,
    );
    pipeline.start();
    await started;
    const reopened = h.sim.stt.waitFor(
      'call-started',
      (c) => c.requestId === pipeline.sessionId && starts.length >= 2,
      20_000,
    );
    const cancelled = h.sim.stt.waitFor(
      'call-cancelled',
      (c) => c.requestId === pipeline.sessionId,
      20_000,
    );
    const audio = scriptedAudio([{ speechMs: 400 }, { silenceMs: 900 }], RATE);
    await feedRealtime(audio.pcm, {
      sampleRateHz: RATE,
      ticker: h.ticker,
      onFrame: (f) => pipeline.pushAudio(f),
    });
    const ev = await log.waitFor('budget.exceeded');
    expect(ev).toMatchObject({ stage: 'stt', action: 'cancel', budgetMs: 700 });
    expect(ev.elapsedMs).toBeGreaterThanOrEqual(700);
    await cancelled;
    // A fresh stream is opened for the next utterance.
    if (starts.length < 2) {
      await reopened;
    }
    h.sim.stt.events.off('call-started', onStart);
    expect(
      await metricValue('relay_budget_exceeded_total', { stage: 'stt', action: 'cancel' }),
    ).toBeGreaterThanOrEqual(1);
    expect(log.of('transcript.final')).toEqual([]);
    pipeline.close();
  });

  it('record keeps waiting after a missed budget and the turn completes', async () => {
    const yaml = pipelineYaml('none').replace(
      'budgetMs: 400\n    sim: { ttftMs: 50',
      'budgetMs: 20\n    onBudgetExceeded: record\n    sim: { ttftMs: 150',
    );
    const { pipeline, log } = h.session(testPipeline(yaml));
    pipeline.start();
    pipeline.inputText('hi');
    const ev = await log.waitFor('budget.exceeded');
    expect(ev).toMatchObject({ stage: 'llm', action: 'record' });
    const done = await log.waitFor('response.done');
    expect(done.text).toBe('You said: hi.');
    pipeline.close();
  });
});

describe('closing a session', () => {
  it('mid-reply ends all three calls and leaves no timers, listeners or calls behind', async () => {
    // A long reply keeps the LLM streaming and TTS synthesising while audio plays.
    const longReply =
      'One two three. Four five six. Seven eight nine. Ten eleven twelve. Thirteen fourteen.';
    // Generous budgets: on a loaded machine a missed one would end the turn before the close.
    const yaml = pipelineYaml('none')
      .replace(
        'ttftMs: 50, interTokenMs: 5',
        `ttftMs: 20, interTokenMs: 100, mode: scripted, script: ["${longReply}"]`,
      )
      .replace(/budgetMs: 400/g, 'budgetMs: 30000');
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { pipeline, log, frames } = h.session(testPipeline(yaml));
    const sid = pipeline.sessionId;
    // The STT stream is half-closed (no reset), so the engine ends it itself.
    const sttCancelled = h.sim.stt.waitFor('call-ended', (c) => c.requestId === sid, 20_000);
    const llmCancelled = h.sim.llm.waitFor(
      'call-cancelled',
      (c) => c.requestId.startsWith(sid),
      20_000,
    );
    const ttsCancelled = h.sim.tts.waitFor(
      'call-cancelled',
      (c) => c.requestId.startsWith(sid),
      20_000,
    );
    {
      pipeline.start();
      pipeline.inputText('talk to me');
      await log.waitFor('response.text.delta', () => true, 20_000, 3);
      while (frames.length === 0) {
        await new Promise<void>((r) => setImmediate(r));
      }
      pipeline.close();
      const seen: string[] = [];
      await Promise.all(
        [sttCancelled, llmCancelled, ttsCancelled].map((p, i) =>
          p.then(() => seen.push(['stt', 'llm', 'tts'][i]!)),
        ),
      ).catch((e: unknown) => {
        throw new Error(`cancelled: ${seen.join(',')}: ${String(e)}`);
      });
    }
    while (h.clients.draining > 0) {
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(pipeline.responding).toBe(false);
    expect(h.ticker.listenerCount).toBe(0);
    expect(await metricValue('relay_waiting_first_token', {})).toBe(0);
    // Budget timers, STT re-open timers and the pacer's ticker are all gone.
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    expect(log.of('response.done')).toEqual([]);
  });
});
