import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance, type FastifySchema } from 'fastify';
import { GatewayAuth, DEFAULT_AUTH_FAILURE_LIMIT } from './auth.js';
import { installErrorHandlers } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { sessionRoutes } from './routes/sessions.js';
import { tokenRoutes } from './routes/tokens.js';
import { usageRoutes } from './routes/usage.js';
import { addSharedSchemas } from './schemas.js';
import type { GatewayDeps } from './types.js';

export const GATEWAY_BODY_LIMIT = 64 * 1024;
const DEFAULT_DEV_TOKEN_RATE_PER_MIN = 30;

/** The query string never reaches the logs (it may hold a `?token=`). */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * OpenAPI per route: an operationId from the method and path (`GET /v1/sessions/:id` →
 * `getSessionsById`), and `security: []` on routes that declare none (public routes).
 */
function openApiOperation({
  schema,
  url,
  route,
}: {
  schema: FastifySchema;
  url: string;
  route: { method: string | string[] };
}): { schema: FastifySchema; url: string } {
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) ?? 'get';
  const words = url
    .split('/')
    .filter((p) => p !== '' && p !== 'v1')
    .map((p) => (p.startsWith(':') ? `by-${p.slice(1)}` : p))
    .flatMap((p) => p.split(/[^a-zA-Z0-9]+/))
    .filter((w) => w !== '')
    .map((w) => `${w[0]?.toUpperCase() ?? ''}${w.slice(1)}`);
  const s = schema as FastifySchema & { security?: unknown; operationId?: string };
  return {
    url,
    schema: {
      ...schema,
      operationId: s.operationId ?? `${method.toLowerCase()}${words.join('')}`,
      ...(s.security === undefined ? { security: [] } : {}),
    },
  };
}

/**
 * The management gateway (its own listener, never the media path). Built without
 * listening, so tests drive it through `app.inject()`; `startGateway` listens.
 * It talks only to the state store and the pipeline registry: commands to
 * sessions travel over the store's control bus.
 */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const log = deps.logger.child({ module: 'gateway' });
  const nodeId = deps.nodeId ?? deps.store.nodeId;
  const app = Fastify({
    bodyLimit: GATEWAY_BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy ?? false,
    // Unknown body fields are refused (a typo never silently does nothing) and types
    // are not coerced (no numeric query or path parameters need it).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });

  const auth = new GatewayAuth({
    adminKeys: deps.adminKeys,
    authenticator: deps.authenticator,
    store: deps.store,
    limit: deps.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT,
    log,
  });

  installErrorHandlers(app, log);
  addSharedSchemas(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'voice-relay management API',
        version: '1',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
        description:
          'Operator REST API of voice-relay: sessions, pipelines, API keys, client tokens, health and metrics.',
      },
      servers: [{ url: '/', description: 'this gateway (its own listener, default :8081)' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'Admin key on /v1 routes; POST /v1/tokens also takes a client credential with token:create',
          },
        },
      },
    },
    transform: openApiOperation,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`,
    },
  });

  app.addHook('onResponse', (request, reply, done) => {
    log.debug(
      {
        method: request.method,
        route: request.routeOptions.url ?? pathOf(request.url),
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'gateway request',
    );
    done();
  });

  healthRoutes(app, {
    registry: deps.registry,
    ready: deps.ready,
    store: deps.store,
    degradedReady: deps.degradedReady ?? false,
    metricsAuth: deps.metricsAuth ?? false,
    auth,
    nodeId,
  });

  // Admin-only routes: everything under /v1 except the token routes.
  await app.register((admin, _opts, done) => {
    admin.addHook('onRequest', auth.adminHook);
    sessionRoutes(admin, { store: deps.store, log });
    pipelineRoutes(admin, { pipelines: deps.pipelines, log });
    keyRoutes(admin, { store: deps.store, log, pepper: deps.apiKeyPepper });
    usageRoutes(admin, { store: deps.store, quotas: deps.quotas });
    done();
  });

  tokenRoutes(app, {
    tokens: deps.tokens,
    auth,
    pipelines: deps.pipelines,
    store: deps.store,
    log,
    devTokenRatePerMin: deps.devTokenRatePerMin ?? DEFAULT_DEV_TOKEN_RATE_PER_MIN,
  });

  await app.ready();
  return app;
}
