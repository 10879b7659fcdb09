import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { generateApiKey, SCOPES, type ApiKeyRecord } from '../../auth/index.js';
import { RelayError } from '../../errors/index.js';
import type { StateStore } from '../../state/index.js';
import {
  API_KEY_PROPERTIES,
  BEARER,
  ERROR_RESPONSES,
  NAME,
  PIPELINES,
  SCOPE_LIST,
  TENANT_QUERY,
} from '../schemas.js';

export interface KeyRouteOptions {
  store: StateStore;
  log: Logger;
  /** Must be the Authenticator's pepper. */
  pepper: string | undefined;
}

interface CreateKeyBody {
  tenant: string;
  scopes?: string[];
  pipelines?: string[] | '*';
  maxSessions?: number;
  description?: string;
}

export type PublicApiKey = Omit<ApiKeyRecord, 'hash'>;

/** A key record without its hash (the response schema drops it too). */
export function publicKey(record: ApiKeyRecord): PublicApiKey {
  const out: PublicApiKey = {
    keyId: record.keyId,
    tenant: record.tenant,
    scopes: [...record.scopes],
    pipelines: record.pipelines === '*' ? '*' : [...record.pipelines],
    createdAtMs: record.createdAtMs,
    revoked: record.revoked,
  };
  if (record.maxSessions !== undefined) {
    out.maxSessions = record.maxSessions;
  }
  if (record.description !== undefined) {
    out.description = record.description;
  }
  return out;
}

const KEY_REF = { $ref: 'ApiKey#' } as const;

const KEY_PARAMS = {
  type: 'object',
  required: ['keyId'],
  properties: { keyId: { type: 'string', pattern: '^[a-z0-9]{8,32}$' } },
} as const;

function notFound(keyId: string): RelayError {
  return new RelayError('RELAY_ERR_NOT_FOUND', 'API key not found', { details: { keyId } });
}

/**
 * API keys: created here (plaintext returned once, only the hash stored), listed,
 * revoked and deleted. Defaults: scopes ["session:create"], pipelines "*".
 */
export function keyRoutes(app: FastifyInstance, opts: KeyRouteOptions): void {
  const { store, log, pepper } = opts;

  app.post<{ Body: CreateKeyBody }>(
    '/v1/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Create an API key; the plaintext key is in this response only',
        security: BEARER,
        body: {
          type: 'object',
          required: ['tenant'],
          additionalProperties: false,
          properties: {
            tenant: NAME,
            scopes: SCOPE_LIST,
            pipelines: PIPELINES,
            maxSessions: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            description: { type: 'string', maxLength: 1024 },
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['key', 'keyId'],
            properties: {
              key: { type: 'string', description: 'vr_<keyId>_<secret>; shown once' },
              ...API_KEY_PROPERTIES,
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { key, record } = generateApiKey({
        tenant: body.tenant,
        scopes: body.scopes ?? [SCOPES.SESSION_CREATE],
        pipelines: body.pipelines ?? '*',
        ...(body.maxSessions === undefined ? {} : { maxSessions: body.maxSessions }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(pepper === undefined ? {} : { pepper }),
      });
      await store.putApiKey(record);
      log.info({ keyId: record.keyId, tenant: record.tenant }, 'API key created');
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ key, ...publicKey(record) });
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'List API keys (never their hashes)',
        security: BEARER,
        querystring: TENANT_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['keys'],
            properties: { keys: { type: 'array', items: KEY_REF } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { tenant } = request.query;
      const keys = await store.listApiKeys(tenant === undefined ? {} : { tenant });
      return { keys: keys.map(publicKey) };
    },
  );

  app.get<{ Params: { keyId: string } }>(
    '/v1/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary: 'One API key record',
        security: BEARER,
        params: KEY_PARAMS,
        response: { 200: KEY_REF, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const record = await store.getApiKey(request.params.keyId);
      if (record === undefined) {
        throw notFound(request.params.keyId);
      }
      return publicKey(record);
    },
  );

  app.post<{ Params: { keyId: string } }>(
    '/v1/keys/:keyId/revoke',
    {
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key (kept, but refused from now on)',
        security: BEARER,
        params: KEY_PARAMS,
        response: { 200: KEY_REF, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { keyId } = request.params;
      if (!(await store.revokeApiKey(keyId))) {
        throw notFound(keyId);
      }
      const record = await store.getApiKey(keyId);
      if (record === undefined) {
        throw notFound(keyId);
      }
      log.info({ keyId }, 'API key revoked');
      await endSessionsOfKey(store, keyId, log);
      return publicKey(record);
    },
  );

  app.delete<{ Params: { keyId: string } }>(
    '/v1/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary: 'Delete an API key',
        security: BEARER,
        params: KEY_PARAMS,
        response: { 204: { type: 'null' }, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { keyId } = request.params;
      if (!(await store.deleteApiKey(keyId))) {
        throw notFound(keyId);
      }
      log.info({ keyId }, 'API key deleted');
      await endSessionsOfKey(store, keyId, log);
      return reply.code(204).send();
    },
  );
}

/** Close code of sessions ended because their API key was revoked or deleted. */
export const KEY_REVOKED_CLOSE_CODE = 1008;

/**
 * A revoked (or deleted) key ends its live sessions, also those opened with client
 * tokens it minted: a kill with close code 1008 on each owning node's control channel.
 */
async function endSessionsOfKey(store: StateStore, keyId: string, log: Logger): Promise<void> {
  const sessions = (await store.listSessions()).filter((s) => s.keyId === keyId);
  for (const s of sessions) {
    await store.publishControl(s.node, {
      type: 'kill',
      sessionId: s.id,
      reason: 'API key revoked',
      code: KEY_REVOKED_CLOSE_CODE,
    });
  }
  if (sessions.length > 0) {
    log.info({ keyId, sessions: sessions.length }, 'sessions of a revoked key ended');
  }
}
