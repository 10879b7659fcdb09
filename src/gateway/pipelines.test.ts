import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayFixture, pipelineYaml, type GatewayFixture } from './gateway-fixture.js';

interface Summary {
  name: string;
  sampleRateHz: number;
  loadedAtMs: number;
  stages: Record<string, { endpoints: string[]; budgetMs: number; onBudgetExceeded: string }>;
}

interface ConfigErrorJson {
  error: {
    code: string;
    message: string;
    problems: { file: string; field: string; message: string }[];
  };
}

describe('gateway: pipelines', () => {
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  async function names(f: GatewayFixture): Promise<string[]> {
    const res = await f.app.inject({ method: 'GET', url: '/v1/pipelines', headers: f.admin });
    expect(res.statusCode).toBe(200);
    return res.json<{ pipelines: Summary[] }>().pipelines.map((p) => p.name);
  }

  it('lists pipelines with stage endpoints, budgets, sample rate and loadedAt', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({ method: 'GET', url: '/v1/pipelines', headers: fx.admin });
    const body = res.json<{ pipelines: Summary[]; loadedAtMs: number }>();
    expect(body.pipelines.map((p) => p.name)).toEqual(['default', 'support']);
    const p = body.pipelines[0]!;
    expect(p.sampleRateHz).toBe(16000);
    expect(p.loadedAtMs).toBe(fx.pipelines.loadedAtMs);
    expect(p.stages['llm']).toMatchObject({
      endpoints: ['embedded', '127.0.0.1:50052'],
      budgetMs: 2000,
      onBudgetExceeded: 'fallback',
    });
    expect(p.stages['stt']).toMatchObject({ budgetMs: 1500 });
    expect(p.stages['tts']).toMatchObject({ budgetMs: 1000 });
  });

  it('gets one full config (secret-looking stage options redacted), 404 when unknown', async () => {
    fx = await createGatewayFixture();
    const res = await fx.app.inject({
      method: 'GET',
      url: '/v1/pipelines/support',
      headers: fx.admin,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ name: string; stages: { llm: { model: string; options: object } } }>();
    expect(body.name).toBe('support');
    expect(body.stages.llm.model).toBe('sim-echo');
    expect(body.stages.llm.options).toEqual({ apiKey: '[redacted]', region: 'eu' });
    expect(res.body).not.toContain('engine-secret-value');
    const missing = await fx.app.inject({
      method: 'GET',
      url: '/v1/pipelines/nope',
      headers: fx.admin,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'RELAY_ERR_NOT_FOUND' } });
  });

  it('reload picks up a new valid file', async () => {
    fx = await createGatewayFixture();
    await writeFile(join(fx.dir, 'sales.yaml'), pipelineYaml('sales', 900));
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/pipelines/reload',
      headers: fx.admin,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ pipelines: Summary[] }>().pipelines.map((p) => p.name)).toEqual([
      'default',
      'sales',
      'support',
    ]);
    expect(await names(fx)).toContain('sales');
  });

  it('reload with a broken file is 400 with problems naming file and field; the old set keeps serving', async () => {
    fx = await createGatewayFixture();
    expect(await names(fx)).toEqual(['default', 'support']);
    const bad = pipelineYaml('broken').replace('budgetMs: 1000', 'budgetMs: -5');
    await writeFile(join(fx.dir, 'broken.yaml'), bad);
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/pipelines/reload',
      headers: fx.admin,
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<ConfigErrorJson>();
    expect(body.error.code).toBe('RELAY_ERR_CONFIG');
    expect(body.error.problems).toEqual([
      expect.objectContaining({
        file: join(fx.dir, 'broken.yaml'),
        field: 'stages.tts.budgetMs',
      }),
    ]);
    expect(await names(fx)).toEqual(['default', 'support']);
    const still = await fx.app.inject({
      method: 'GET',
      url: '/v1/pipelines/default',
      headers: fx.admin,
    });
    expect(still.statusCode).toBe(200);
  });
});
