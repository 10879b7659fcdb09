import type { FastifyInstance } from 'fastify';
import { SCOPES } from '../auth/index.js';

/**
 * JSON schemas shared by the routes. Fastify validates requests against them and
 * serialises responses through them (unknown response fields are dropped, so a
 * stored key hash can never leak); @fastify/swagger turns them into the OpenAPI doc.
 */

export const ERROR_REF = { $ref: 'ErrorResponse#' } as const;

/** Every route answers errors with the same body. */
export const ERROR_RESPONSES = { '4xx': ERROR_REF, '5xx': ERROR_REF } as const;

/** Operation security for admin routes (see the `bearer` scheme in app.ts). */
export const BEARER = [{ bearer: [] }] as const;

/** Tenant, key and session names as the store accepts them. */
export const NAME = { type: 'string', minLength: 1, maxLength: 512 } as const;

export const CLIENT_SCOPES = Object.values(SCOPES);

export const SCOPE_LIST = {
  type: 'array',
  items: { type: 'string', enum: CLIENT_SCOPES },
  uniqueItems: true,
  maxItems: 16,
} as const;

/** An explicit list of pipeline names, or "*" for all. */
export const PIPELINES = {
  anyOf: [
    { type: 'string', enum: ['*'] },
    { type: 'array', items: NAME, maxItems: 256 },
  ],
} as const;

export const TENANT_QUERY = {
  type: 'object',
  properties: { tenant: NAME },
  additionalProperties: false,
} as const;

const errorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
        problems: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              file: { type: 'string' },
              field: { type: 'string' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

const sessionRecord = {
  $id: 'SessionRecord',
  type: 'object',
  required: ['id', 'tenant', 'pipeline', 'node', 'transport', 'state', 'createdAtMs'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    pipeline: { type: 'string' },
    node: { type: 'string', description: 'relay node that owns the session' },
    transport: { type: 'string' },
    state: { type: 'string' },
    createdAtMs: { type: 'number' },
    updatedAtMs: { type: 'number' },
    keyId: { type: 'string' },
    info: {
      type: 'object',
      additionalProperties: true,
      description: 'written by the media side: jitter stats, recent turn waterfalls',
    },
  },
} as const;

export const API_KEY_PROPERTIES = {
  keyId: { type: 'string' },
  tenant: { type: 'string' },
  scopes: { type: 'array', items: { type: 'string' } },
  pipelines: PIPELINES,
  createdAtMs: { type: 'number' },
  revoked: { type: 'boolean' },
  maxSessions: { type: 'integer' },
  description: { type: 'string' },
} as const;

const apiKey = {
  $id: 'ApiKey',
  type: 'object',
  description: 'an API key record; the stored hash is never returned',
  required: ['keyId', 'tenant', 'scopes', 'pipelines', 'createdAtMs', 'revoked'],
  properties: API_KEY_PROPERTIES,
} as const;

const stageSummary = {
  type: 'object',
  properties: {
    endpoints: { type: 'array', items: { type: 'string' } },
    balance: { type: 'string' },
    budgetMs: { type: 'integer' },
    onBudgetExceeded: { type: 'string' },
    maxCallMs: { type: 'integer' },
  },
} as const;

const pipelineSummary = {
  $id: 'PipelineSummary',
  type: 'object',
  required: ['name', 'sampleRateHz', 'stages', 'loadedAtMs'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    sampleRateHz: { type: 'integer' },
    stages: {
      type: 'object',
      properties: { stt: stageSummary, llm: stageSummary, tts: stageSummary },
    },
    loadedAtMs: { type: 'number' },
  },
} as const;

const mintedToken = {
  $id: 'MintedToken',
  type: 'object',
  required: ['token', 'expiresAtMs', 'tenant', 'pipelines', 'scopes'],
  properties: {
    token: { type: 'string', description: 'short-lived HS256 client token (typ "client")' },
    expiresAtMs: { type: 'number' },
    tenant: { type: 'string' },
    pipelines: PIPELINES,
    scopes: { type: 'array', items: { type: 'string' } },
  },
} as const;

export function addSharedSchemas(app: FastifyInstance): void {
  for (const schema of [errorResponse, sessionRecord, apiKey, pipelineSummary, mintedToken]) {
    app.addSchema(schema);
  }
}
