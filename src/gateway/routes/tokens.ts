import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  assertGrantWithin,
  authorize,
  MAX_CLIENT_TOKEN_TTL_SEC,
  MIN_HS256_SECRET_LENGTH,
  mintClientToken,
  SCOPES,
  type ClientGrant,
  type MintClientTokenOptions,
  type Principal,
} from '../../auth/index.js';
import type { PipelineRegistry } from '../../config/pipeline-registry.js';
import { RelayError } from '../../errors/index.js';
import type { StateStore } from '../../state/index.js';
import { rateLimited, type GatewayAuth } from '../auth.js';
import { errorBody } from '../errors.js';
import { BEARER, ERROR_RESPONSES, NAME, PIPELINES, SCOPE_LIST } from '../schemas.js';
import type { GatewayTokenConfig } from '../types.js';

export const DEFAULT_TOKEN_TTL_SEC = 300;

export interface TokenRouteOptions {
  tokens: GatewayTokenConfig | undefined;
  auth: GatewayAuth;
  pipelines: PipelineRegistry;
  store: StateStore;
  log: Logger;
  devTokenRatePerMin: number;
}

interface MintBody {
  tenant?: string;
  pipelines: string[] | '*';
  scopes?: string[];
  ttlSec?: number;
  subject?: string;
  maxSessions?: number;
}

interface TokenSettings {
  config: GatewayTokenConfig;
  maxTtlSec: number;
  defaultTtlSec: number;
}

function configError(message: string): RelayError {
  return new RelayError('RELAY_ERR_CONFIG', message);
}

/** Checked when the gateway is built, so a bad token config never starts. */
export function tokenSettings(config: GatewayTokenConfig): TokenSettings {
  if (config.secret.length < MIN_HS256_SECRET_LENGTH) {
    throw configError('jwt.hs256Secret must be at least 32 characters');
  }
  const maxTtlSec = config.maxTtlSec ?? MAX_CLIENT_TOKEN_TTL_SEC;
  if (!Number.isInteger(maxTtlSec) || maxTtlSec < 1 || maxTtlSec > MAX_CLIENT_TOKEN_TTL_SEC) {
    throw configError(`tokens.maxTtlSec must be an integer in 1..${MAX_CLIENT_TOKEN_TTL_SEC}`);
  }
  const defaultTtlSec = config.defaultTtlSec ?? Math.min(DEFAULT_TOKEN_TTL_SEC, maxTtlSec);
  if (!Number.isInteger(defaultTtlSec) || defaultTtlSec < 1 || defaultTtlSec > maxTtlSec) {
    throw configError('tokens.defaultTtlSec must be an integer in 1..maxTtlSec');
  }
  const dev = config.devMode;
  if (
    dev !== undefined &&
    (dev.tenant === '' ||
      dev.pipelines.length === 0 ||
      dev.pipelines.some((p) => p === '' || p === '*'))
  ) {
    throw configError('tokens.devMode needs a tenant and explicit pipeline names');
  }
  return { config, maxTtlSec, defaultTtlSec };
}

const MINT_BODY = {
  type: 'object',
  required: ['pipelines'],
  additionalProperties: false,
  properties: {
    tenant: { ...NAME, description: 'required for admin callers; clients may only name their own' },
    pipelines: PIPELINES,
    scopes: { ...SCOPE_LIST, description: 'default ["session:create"]' },
    ttlSec: { type: 'integer', minimum: 1, maximum: MAX_CLIENT_TOKEN_TTL_SEC },
    subject: { type: 'string', minLength: 1, maxLength: 256 },
    maxSessions: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

const MINTED = { 200: { $ref: 'MintedToken#' }, ...ERROR_RESPONSES } as const;

function badRequest(message: string, details: Record<string, string | number>): RelayError {
  return new RelayError('RELAY_ERR_BAD_REQUEST', message, { details });
}

/**
 * Client tokens for browsers. `POST /v1/tokens`: an admin, or a client credential
 * holding `token:create` minting within its own grant and tenant. `POST /v1/tokens/dev`
 * exists only with `tokens.devMode`: no credentials, fixed tenant and pipelines.
 */
export function tokenRoutes(app: FastifyInstance, opts: TokenRouteOptions): void {
  const { auth, log, pipelines, store } = opts;
  if (opts.tokens === undefined) {
    app.post(
      '/v1/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Mint a client token (not configured)',
          response: ERROR_RESPONSES,
        },
      },
      (_request, reply) =>
        reply
          .code(501)
          .send(
            errorBody(
              configError(
                'token minting is not configured on this gateway (set jwt.hs256Secret, VOICE_RELAY_JWT_SECRET or --jwt-secret)',
              ),
            ),
          ),
    );
    return;
  }
  const settings = tokenSettings(opts.tokens);
  const { config } = settings;

  const mint = async (
    reply: FastifyReply,
    grant: Omit<MintClientTokenOptions, 'secret' | 'issuer' | 'audience'>,
  ): Promise<FastifyReply> => {
    const minted = await mintClientToken({
      ...grant,
      secret: config.secret,
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
      ...(config.audience === undefined ? {} : { audience: config.audience }),
    });
    return reply.header('cache-control', 'no-store').send({
      ...minted,
      tenant: grant.tenant,
      pipelines: grant.pipelines,
      scopes: grant.scopes,
    });
  };

  app.post<{ Body: MintBody }>(
    '/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Mint a short-lived client token (admin, or a client with token:create)',
        security: BEARER,
        body: MINT_BODY,
        response: MINTED,
      },
      onRequest: async (request: FastifyRequest) => {
        request.principal = await auth.adminOrClient(request);
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal === undefined) {
        throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'missing credentials');
      }
      const body = request.body;
      const grant = resolveGrant(principal, body);
      for (const name of grant.pipelines === '*' ? [] : grant.pipelines) {
        if (!pipelines.has(name)) {
          throw badRequest('unknown pipeline', { field: 'pipelines', pipeline: name });
        }
      }
      let ttlSec = body.ttlSec ?? settings.defaultTtlSec;
      if (ttlSec > settings.maxTtlSec) {
        throw badRequest('ttlSec exceeds the gateway maximum', {
          field: 'ttlSec',
          max: settings.maxTtlSec,
        });
      }
      if (principal.expiresAtMs !== undefined) {
        // Never outlive the caller's own token.
        ttlSec = Math.min(ttlSec, Math.floor((principal.expiresAtMs - Date.now()) / 1000));
        if (ttlSec < 1) {
          throw new RelayError('RELAY_ERR_TOKEN_EXPIRED', 'caller token expires too soon');
        }
      }
      log.info(
        { caller: principal.subject, kind: principal.kind, tenant: grant.tenant, ttlSec },
        'client token minted',
      );
      return mint(reply, { ...grant, ttlSec });
    },
  );

  const dev = config.devMode;
  if (dev === undefined) {
    return;
  }
  log.warn({ tenant: dev.tenant, pipelines: dev.pipelines }, 'dev-mode token route enabled');
  app.post(
    '/v1/tokens/dev',
    {
      schema: {
        tags: ['tokens'],
        summary: 'DEV MODE: mint a client token for the configured dev tenant, no credentials',
        response: MINTED,
      },
    },
    async (request, reply) => {
      const limit = await store.hitRate(
        `gw:devtoken:${request.ip}`,
        opts.devTokenRatePerMin,
        60_000,
      );
      if (!limit.allowed) {
        throw rateLimited(limit.retryAfterMs);
      }
      log.info({ tenant: dev.tenant, ip: request.ip }, 'dev client token minted');
      return mint(reply, {
        tenant: dev.tenant,
        subject: 'dev',
        pipelines: [...dev.pipelines],
        scopes: [SCOPES.SESSION_CREATE],
        ttlSec: settings.defaultTtlSec,
      });
    },
  );
}

type ResolvedGrant = Required<Pick<MintClientTokenOptions, 'tenant' | 'subject'>> &
  Pick<MintClientTokenOptions, 'keyId'> &
  ClientGrant;

/** Who gets what: admins name any tenant; clients stay within their tenant and grant. */
function resolveGrant(principal: Principal, body: MintBody): ResolvedGrant {
  const scopes = body.scopes ?? [SCOPES.SESSION_CREATE];
  if (principal.kind === 'admin') {
    if (body.tenant === undefined) {
      throw badRequest('body.tenant: required for admin callers', { in: 'body', field: 'tenant' });
    }
    return {
      tenant: body.tenant,
      subject: body.subject ?? body.tenant,
      pipelines: body.pipelines,
      scopes,
      ...(body.maxSessions === undefined ? {} : { maxSessions: body.maxSessions }),
    };
  }
  authorize(principal, { scope: SCOPES.TOKEN_CREATE });
  if (body.tenant !== undefined && body.tenant !== principal.tenant) {
    throw new RelayError('RELAY_ERR_FORBIDDEN', 'tenant not allowed', {
      details: { tenant: body.tenant },
    });
  }
  const maxSessions = body.maxSessions ?? principal.limits?.maxSessions;
  const grant: ClientGrant = {
    pipelines: body.pipelines,
    scopes,
    ...(maxSessions === undefined ? {} : { maxSessions }),
  };
  assertGrantWithin(principal, grant);
  return {
    tenant: principal.tenant,
    subject: body.subject ?? principal.subject,
    ...grant,
    // Limits bind to the minting key, whatever subject the caller picks.
    ...(principal.keyId === undefined ? {} : { keyId: principal.keyId }),
  };
}
