import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startPipelineHarness,
  testPipeline,
  type PipelineHarness,
} from '../testing/pipeline-harness.js';

// The sim STT fails every Recognize call at once with the given status.
const yaml = (status: string): string => `
stages:
  stt:
    endpoints: [embedded]
    budgetMs: 3000
    sim: { faults: { errorAfterMessages: 0, errorCode: ${status} } }
  llm: { endpoints: [embedded], budgetMs: 3000 }
  tts: { endpoints: [embedded], budgetMs: 3000 }
`;

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(async () => {
  await h.close();
});

async function sttErrors(code: string): Promise<number> {
  const v = (await h.metrics.stageErrors.get()).values;
  return v.find((x) => x.labels.stage === 'stt' && x.labels.code === code)?.value ?? 0;
}

/** Yields to the event loop until `cond` holds (bounded; each round is one macrotask). */
async function until(cond: () => Promise<boolean>, rounds = 200_000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (await cond()) {
      return;
    }
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}

describe('an STT stream is re-opened only after a retryable failure', () => {
  it('INVALID_ARGUMENT: fails once and stays closed (the client gets an error); UNAVAILABLE: re-opened', async () => {
    const bad = h.session(testPipeline(yaml('INVALID_ARGUMENT')), 'bad');
    bad.pipeline.start();
    const err = await bad.log.waitFor('error', () => true, 20_000);
    expect(err.code).toBe('RELAY_ERR_BAD_REQUEST');

    // Control: a retryable failure is re-opened again and again (after its backoff), and
    // silently: the session hears of it only at the 5th failure in a row, once.
    const flaky = h.session(testPipeline(yaml('UNAVAILABLE')), 'flaky');
    flaky.pipeline.start();
    await until(async () => {
      const told = flaky.log.of('error').length;
      const failures = await sttErrors('RELAY_ERR_STAGE_UNAVAILABLE');
      if (told > 0) {
        expect(failures).toBeGreaterThanOrEqual(5);
      }
      return failures >= 7;
    });
    const told = flaky.log.of('error');
    expect(told).toHaveLength(1);
    expect(told[0]?.code).toBe('RELAY_ERR_STAGE_UNAVAILABLE');
    expect((await h.metrics.sttReconnects.get()).values[0]?.value).toBeGreaterThanOrEqual(6);

    // Meanwhile the non-retryable stream failed once and was never re-opened.
    expect(await sttErrors('RELAY_ERR_BAD_REQUEST')).toBe(1);
    expect(bad.log.of('error')).toHaveLength(1);
    bad.pipeline.close();
    flaky.pipeline.close();
  });
});
