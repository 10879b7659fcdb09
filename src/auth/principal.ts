import { RelayError } from '../errors/index.js';

/** Who is calling, after a credential was verified. */
export interface Principal {
  kind: 'jwt' | 'api-key' | 'admin';
  subject: string;
  tenant: string;
  scopes: string[];
  /** Pipeline names this principal may use, or '*' for all. */
  pipelines: string[] | '*';
  /**
   * Public id of the API key behind the credential: the key itself (kind 'api-key'),
   * or the key that minted a client token (claim `key_id`).
   */
  keyId?: string;
  /** When the credential stops being valid (JWTs). */
  expiresAtMs?: number;
  limits?: { maxSessions?: number };
}

/**
 * Client scope names. Scopes match exactly (no wildcards); admin credentials
 * carry no client scope at all (see `authorize`).
 */
export const SCOPES = {
  /** Open a media session (WebSocket, WebRTC, telephony) on an allowed pipeline. */
  SESSION_CREATE: 'session:create',
  /** Mint short-lived client tokens (gateway `POST /v1/tokens`) within one's own grant. */
  TOKEN_CREATE: 'token:create',
} as const;

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/** The only scope an admin principal has; never granted to client credentials. */
export const ADMIN_SCOPE = 'admin';

export interface AuthorizeRequest {
  scope: Scope;
  /** Checked against the principal's pipelines when given. */
  pipeline?: string;
}

/** Whether `pipeline` is within the principal's allowed pipelines. */
export function pipelineAllowed(pipelines: string[] | '*', pipeline: string): boolean {
  return pipelines === '*' || pipelines.includes(pipeline);
}

/**
 * Client authorization: throws RELAY_ERR_FORBIDDEN unless the principal is a
 * client credential holding `scope` and, when given, allowed on `pipeline`.
 * Admin principals are refused: admin and client credentials never mix.
 */
export function authorize(principal: Principal, request: AuthorizeRequest): void {
  if (principal.kind === 'admin') {
    throw new RelayError('RELAY_ERR_FORBIDDEN', 'admin credentials are not client credentials');
  }
  if (!principal.scopes.includes(request.scope)) {
    throw new RelayError('RELAY_ERR_FORBIDDEN', 'scope not granted', {
      details: { scope: request.scope },
    });
  }
  if (request.pipeline !== undefined && !pipelineAllowed(principal.pipelines, request.pipeline)) {
    throw new RelayError('RELAY_ERR_FORBIDDEN', 'pipeline not allowed', {
      details: { pipeline: request.pipeline },
    });
  }
}

/** Admin authorization for the management API: only kind 'admin' passes. */
export function authorizeAdmin(principal: Principal): void {
  if (principal.kind !== 'admin' || !principal.scopes.includes(ADMIN_SCOPE)) {
    throw new RelayError('RELAY_ERR_FORBIDDEN', 'admin credentials required');
  }
}

/**
 * The credential that per-credential limits (concurrent sessions, connection rate)
 * bind to, fleet-wide: the API key, directly or through the tokens it minted, else the
 * tenant. Never the token's subject, which whoever mints the token chooses freely.
 */
export function limitKeyOf(principal: Pick<Principal, 'tenant' | 'keyId'>): string {
  return principal.keyId === undefined ? `tenant:${principal.tenant}` : `key:${principal.keyId}`;
}

export interface ClientGrant {
  pipelines: string[] | '*';
  scopes: string[];
  maxSessions?: number;
}

/**
 * For token minting: throws RELAY_ERR_FORBIDDEN unless `grant` is within what
 * `principal` holds (no escalation of pipelines, scopes or session limits).
 */
export function assertGrantWithin(principal: Principal, grant: ClientGrant): void {
  if (principal.kind === 'admin') {
    throw new RelayError('RELAY_ERR_FORBIDDEN', 'admin credentials are not client credentials');
  }
  for (const scope of grant.scopes) {
    if (!principal.scopes.includes(scope)) {
      throw new RelayError('RELAY_ERR_FORBIDDEN', 'scope not granted', { details: { scope } });
    }
  }
  if (grant.pipelines === '*') {
    if (principal.pipelines !== '*') {
      throw new RelayError('RELAY_ERR_FORBIDDEN', 'pipeline not allowed', {
        details: { pipeline: '*' },
      });
    }
  } else {
    for (const pipeline of grant.pipelines) {
      if (!pipelineAllowed(principal.pipelines, pipeline)) {
        throw new RelayError('RELAY_ERR_FORBIDDEN', 'pipeline not allowed', {
          details: { pipeline },
        });
      }
    }
  }
  const limit = principal.limits?.maxSessions;
  if (limit !== undefined && (grant.maxSessions === undefined || grant.maxSessions > limit)) {
    throw new RelayError('RELAY_ERR_FORBIDDEN', 'session limit exceeds the caller limit', {
      details: { maxSessions: limit },
    });
  }
}
