import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/pipelines.js';
import {
  startPipelineHarness,
  testPipeline,
  type PipelineHarness,
} from '../../testing/pipeline-harness.js';
import { luhnValid, maskPii } from './pii.js';

/** A protocol-faithful OpenAI `/v1/moderations` fake: flags inputs containing "hurt". */
async function fakeModeration(): Promise<{ url: string; inputs: string[]; server: Server }> {
  const inputs: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/moderations') {
        res.writeHead(404).end();
        return;
      }
      const parsed = JSON.parse(body) as { input: string; model: string };
      inputs.push(parsed.input);
      const flagged = /hurt/i.test(parsed.input);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `modr-${inputs.length}`,
          model: parsed.model,
          results: [
            {
              flagged,
              categories: { violence: flagged, harassment: false },
              category_scores: { violence: flagged ? 0.98 : 0.01, harassment: 0.001 },
            },
          ],
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/v1`, inputs, server };
}

let h: PipelineHarness;
let mod: Awaited<ReturnType<typeof fakeModeration>>;
beforeAll(async () => {
  h = await startPipelineHarness();
  mod = await fakeModeration();
});
afterAll(async () => {
  await h.close();
  await new Promise((r) => mod.server.close(r));
});

function guarded(extra = ''): ReturnType<typeof testPipeline> {
  return testPipeline(`
stages:
  stt: { endpoints: [embedded], budgetMs: 10000 }
  llm: { endpoints: [embedded], budgetMs: 10000 }
  tts: { endpoints: [embedded], budgetMs: 10000 }
guard:
  enabled: true
  deny: ['wire .* bitcoin']
${extra}`);
}

const CARD_SPOKEN = 'four two four two four two four two four two four two four two four two';
const PHONE_SPOKEN = 'five five five, one two three, four five six seven';

describe('guard and redaction', () => {
  it('masks a spoken card number and phone number before the LLM', async () => {
    const s = h.session(guarded());
    s.pipeline.start();
    s.pipeline.inputText(`my card is ${CARD_SPOKEN} and call me on ${PHONE_SPOKEN}`);
    await s.log.waitFor('response.done', () => true, 30_000);
    const req = h.sim.llm.requests.last;
    const sent = JSON.stringify(req?.messages ?? []);
    expect(sent).toContain('my card is [card] and call me on [phone]');
    expect(sent).not.toMatch(/four two|five five|4242|555/);
    const red = (await h.metrics.guardRedactions.get()).values;
    expect(red.map((v) => [v.labels['kind'], v.value]).sort()).toEqual(
      expect.arrayContaining([
        ['card', 1],
        ['phone', 1],
      ]),
    );
    s.pipeline.close();
  });

  it('blocks a denied phrase with a clear error event and no LLM call', async () => {
    const s = h.session(guarded());
    s.pipeline.start();
    const before = h.sim.llm.requests.all.length;
    s.pipeline.inputText('please wire all my savings to bitcoin');
    const err = await s.log.waitFor('error', () => true, 30_000);
    expect(err.code).toBe('RELAY_ERR_GUARD_BLOCKED');
    expect(err.message).toContain('deny rule 0');
    expect(h.sim.llm.requests.all.length).toBe(before);
    s.pipeline.close();
  });

  it('asks the moderation endpoint, with the masked text, and refuses what it flags', async () => {
    const s = h.session(guarded(`  moderation: { url: '${mod.url}' }`));
    s.pipeline.start();
    s.pipeline.inputText(`my number is ${PHONE_SPOKEN}`);
    await s.log.waitFor('response.done', () => true, 30_000);
    s.pipeline.inputText('I want to hurt someone');
    const err = await s.log.waitFor('error', () => true, 30_000);
    expect(err.code).toBe('RELAY_ERR_GUARD_BLOCKED');
    expect(err.message).toContain('violence');
    expect(mod.inputs).toEqual(['my number is [phone]', 'I want to hurt someone']);
    s.pipeline.close();
  });

  it('rejects a bad deny rule naming the file and field', () => {
    const bad = (): unknown => testPipeline(`guard: { deny: ['(unclosed'] }`);
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow('/pipelines/test.yaml: guard.deny[0]: must be a valid regular expression');
  });
});

describe('maskPii', () => {
  it('masks cards (Luhn), phones and e-mails, written or spoken, and leaves ordinary numbers', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(maskPii('card 4111 1111 1111 1111, mail jane.doe@example.com').text).toBe(
      'card [card], mail [email]',
    );
    expect(maskPii('call +1 (415) 555-0132 or jane at example dot com').text).toBe(
      'call [phone] or [email]',
    );
    expect(maskPii('I have 3 cats and one dog since 2024, oh well').text).toBe(
      'I have 3 cats and one dog since 2024, oh well',
    );
  });
});
