import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { RelayError } from '../../errors/index.js';
import type { StateStore } from '../../state/index.js';
import { BEARER, ERROR_RESPONSES, NAME, TENANT_QUERY } from '../schemas.js';

export interface SessionRouteOptions {
  store: StateStore;
  log: Logger;
}

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: NAME },
} as const;

const SESSION_REF = { $ref: 'SessionRecord#' } as const;

function notFound(id: string): RelayError {
  return new RelayError('RELAY_ERR_NOT_FOUND', 'session not found', { details: { sessionId: id } });
}

/**
 * Sessions as the fleet sees them (the store's registry). The gateway never holds a
 * live session: DELETE publishes a kill on the owning node's control channel.
 */
export function sessionRoutes(app: FastifyInstance, opts: SessionRouteOptions): void {
  const { store, log } = opts;

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'List live sessions, optionally of one tenant',
        security: BEARER,
        querystring: TENANT_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['sessions'],
            properties: { sessions: { type: 'array', items: SESSION_REF } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { tenant } = request.query;
      const sessions = await store.listSessions(tenant === undefined ? {} : { tenant });
      return { sessions };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'One session: state, owning node, pipeline and the info the media side publishes',
        security: BEARER,
        params: ID_PARAMS,
        response: { 200: SESSION_REF, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const record = await store.getSession(request.params.id);
      if (record === undefined) {
        throw notFound(request.params.id);
      }
      return record;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End a session wherever it runs (kill on the owning node’s control channel)',
        security: BEARER,
        params: ID_PARAMS,
        response: {
          202: {
            type: 'object',
            required: ['status', 'sessionId', 'node', 'delivered'],
            properties: {
              status: { type: 'string', enum: ['terminating'] },
              sessionId: { type: 'string' },
              node: { type: 'string' },
              delivered: {
                type: 'integer',
                description: 'subscribers reached; 0 = the owning node is not listening',
              },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const sessionId = request.params.id;
      const record = await store.getSession(sessionId);
      if (record === undefined) {
        throw notFound(sessionId);
      }
      const delivered = await store.publishControl(record.node, {
        type: 'kill',
        sessionId,
        reason: 'admin',
      });
      const fields = { sessionId, node: record.node, delivered };
      if (delivered === 0) {
        log.warn(fields, 'session kill reached no subscriber');
      } else {
        log.info(fields, 'session kill published');
      }
      return reply
        .code(202)
        .send({ status: 'terminating', sessionId, node: record.node, delivered });
    },
  );
}
