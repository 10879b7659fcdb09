import type { FastifyInstance } from 'fastify';
import { QUOTA_RESOURCES, quotaOf, type QuotasConfig } from '../../config/quota-schema.js';
import { countTenantUsage, type StateStore } from '../../state/index.js';
import { BEARER, ERROR_RESPONSES, NAME } from '../schemas.js';

export interface UsageRouteOptions {
  store: StateStore;
  /** The relay config's `quotas` section (absent: every tenant unlimited). */
  quotas: QuotasConfig | undefined;
}

const WINDOW = {
  type: 'object',
  required: ['used', 'resetAtMs'],
  properties: {
    used: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, description: 'absent: no limit on this window' },
    resetAtMs: { type: 'integer', description: 'when the window ends (ms since the epoch)' },
  },
} as const;

const RESOURCE = {
  type: 'object',
  required: ['minute', 'day'],
  properties: { minute: WINDOW, day: WINDOW },
} as const;

const USAGE = {
  type: 'object',
  required: ['tenant', 'action', 'usage'],
  properties: {
    tenant: { type: 'string' },
    action: { type: 'string', enum: ['refuse-turns', 'end-session', 'none'] },
    usage: {
      type: 'object',
      required: [...QUOTA_RESOURCES],
      properties: Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, RESOURCE])),
    },
    exceeded: {
      type: 'object',
      description: 'the first limit reached, when one is',
      required: ['resource', 'window', 'limit', 'used'],
      properties: {
        resource: { type: 'string', enum: [...QUOTA_RESOURCES] },
        window: { type: 'string', enum: ['minute', 'day'] },
        limit: { type: 'integer' },
        used: { type: 'integer' },
      },
    },
  },
} as const;

/** A tenant's quota usage, fleet-wide (the store's counters) against its configured limits. */
export function usageRoutes(app: FastifyInstance, opts: UsageRouteOptions): void {
  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/usage',
    {
      schema: {
        tags: ['quotas'],
        summary:
          "A tenant's usage in the current minute and day: LLM tokens, TTS characters, STT seconds",
        security: BEARER,
        params: { type: 'object', required: ['tenant'], properties: { tenant: NAME } },
        response: { 200: USAGE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      const quota = opts.quotas === undefined ? undefined : quotaOf(opts.quotas, tenant);
      return countTenantUsage(opts.store, tenant, quota);
    },
  );
}
