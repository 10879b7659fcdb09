import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PipelineRegistry } from '../../config/pipeline-registry.js';
import type { PipelineConfig, StageConfig } from '../../config/pipeline-schema.js';
import { ConfigError } from '../../config/pipelines.js';
import { RelayError } from '../../errors/index.js';
import { BEARER, ERROR_RESPONSES } from '../schemas.js';

export interface PipelineRouteOptions {
  pipelines: PipelineRegistry;
  log: Logger;
}

/** Stage `options` keys whose values are never shown (engine credentials). */
const SECRET_OPTION_RE = /key|secret|token|password|credential/i;

function stageSummary(stage: StageConfig): Record<string, unknown> {
  return {
    endpoints: [...stage.endpoints],
    balance: stage.balance,
    budgetMs: stage.budgetMs,
    onBudgetExceeded: stage.onBudgetExceeded,
    maxCallMs: stage.maxCallMs,
  };
}

export function pipelineSummary(p: PipelineConfig, loadedAtMs: number): Record<string, unknown> {
  return {
    name: p.name,
    description: p.description,
    sampleRateHz: p.audio.sampleRateHz,
    stages: {
      stt: stageSummary(p.stages.stt),
      llm: stageSummary(p.stages.llm),
      tts: stageSummary(p.stages.tts),
    },
    loadedAtMs,
  };
}

function redactOptions(options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => [k, SECRET_OPTION_RE.test(k) ? '[redacted]' : v]),
  );
}

/** The full config, with secret-looking stage options redacted. */
function publicConfig(p: PipelineConfig): Record<string, unknown> {
  const stages = Object.fromEntries(
    (['stt', 'llm', 'tts'] as const).map((name) => {
      const stage = p.stages[name];
      return [name, { ...stage, options: redactOptions(stage.options) }];
    }),
  );
  return { ...p, stages };
}

const SUMMARY_LIST = {
  type: 'object',
  required: ['pipelines', 'loadedAtMs'],
  properties: {
    pipelines: { type: 'array', items: { $ref: 'PipelineSummary#' } },
    loadedAtMs: { type: 'number' },
  },
} as const;

/**
 * Pipelines served by this process. Reload is all-or-nothing: a bad folder answers
 * 400 RELAY_ERR_CONFIG with `problems` (file, field, message) and the old set keeps
 * serving. Reload acts on this process only.
 */
export function pipelineRoutes(app: FastifyInstance, opts: PipelineRouteOptions): void {
  const { pipelines, log } = opts;
  const list = (): Record<string, unknown> => ({
    pipelines: pipelines.list().map((p) => pipelineSummary(p, pipelines.loadedAtMs)),
    loadedAtMs: pipelines.loadedAtMs,
  });

  app.get(
    '/v1/pipelines',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Pipelines served, with stage endpoints and budgets',
        security: BEARER,
        response: { 200: SUMMARY_LIST, ...ERROR_RESPONSES },
      },
    },
    () => list(),
  );

  app.get<{ Params: { name: string } }>(
    '/v1/pipelines/:name',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'The full validated config of one pipeline',
        security: BEARER,
        params: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 63 } },
        },
        response: {
          200: { type: 'object', additionalProperties: true },
          ...ERROR_RESPONSES,
        },
      },
    },
    (request) => {
      const config = pipelines.get(request.params.name);
      if (config === undefined) {
        throw new RelayError('RELAY_ERR_NOT_FOUND', 'pipeline not found', {
          details: { pipeline: request.params.name },
        });
      }
      return publicConfig(config);
    },
  );

  app.post(
    '/v1/pipelines/reload',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Re-read the pipelines folder (all or nothing)',
        description:
          'On any invalid file: 400 RELAY_ERR_CONFIG with error.problems [{file, field, message}]; the previous set keeps serving.',
        security: BEARER,
        response: { 200: SUMMARY_LIST, ...ERROR_RESPONSES },
      },
    },
    async () => {
      try {
        const names = await pipelines.reload();
        log.info({ pipelines: names }, 'pipelines reloaded');
      } catch (err) {
        if (err instanceof ConfigError) {
          log.warn({ problems: err.problems.length }, 'pipelines reload refused');
        }
        throw err;
      }
      return list();
    },
  );
}
