import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { RelayError } from '../../errors/index.js';
import type { StateStore } from '../../state/index.js';
import type { GatewayAuth } from '../auth.js';
import { sendError } from '../errors.js';
import { BEARER, ERROR_RESPONSES } from '../schemas.js';

export interface HealthRouteOptions {
  registry: Registry;
  ready: () => boolean;
  store: StateStore;
  degradedReady: boolean;
  metricsAuth: boolean;
  auth: GatewayAuth;
  nodeId: string;
}

const STATUS = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, node: { type: 'string' } },
} as const;

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. No auth by default. */
export function healthRoutes(app: FastifyInstance, opts: HealthRouteOptions): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process answers',
        response: { 200: STATUS },
      },
    },
    () => ({ status: 'ok', node: opts.nodeId }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary:
          'Readiness: 200 when serving; 503 while starting, draining or without the state store',
        response: { 200: STATUS, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      if (!opts.ready()) {
        return sendError(reply, new RelayError('RELAY_ERR_DRAINING', 'not ready'));
      }
      try {
        await opts.store.ping();
      } catch (err) {
        if (opts.degradedReady) {
          return { status: 'degraded', node: opts.nodeId };
        }
        return sendError(
          reply,
          err instanceof RelayError
            ? err
            : new RelayError('RELAY_ERR_STORE_UNAVAILABLE', 'state store unavailable'),
        );
      }
      return { status: 'ready', node: opts.nodeId };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        description: 'Unauthenticated unless the gateway runs with metricsAuth.',
        response: {
          200: {
            description: 'Prometheus text exposition',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...ERROR_RESPONSES,
        },
        ...(opts.metricsAuth ? { security: BEARER } : {}),
      },
      ...(opts.metricsAuth ? { onRequest: opts.auth.adminHook } : {}),
    },
    async (_request, reply) => {
      const text = await opts.registry.metrics();
      return reply.type(opts.registry.contentType).send(text);
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
