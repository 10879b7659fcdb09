import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { RelayError } from '../errors/index.js';
import { CLIENT_TOKEN_TYP, MAX_CLIENT_TOKEN_TTL_SEC, MIN_HS256_SECRET_LENGTH } from './jwt.js';

export interface MintClientTokenOptions {
  /** The relay's HS256 secret (the same as `jwt.hs256Secret`). */
  secret: string;
  tenant: string;
  subject: string;
  pipelines: string[] | '*';
  scopes: string[];
  /** Lifetime in seconds, 1..MAX_CLIENT_TOKEN_TTL_SEC (3600). */
  ttlSec: number;
  maxSessions?: number;
  /** The API key minting the token (claim `key_id`): limits and revocation follow it. */
  keyId?: string;
  issuer?: string;
  audience?: string;
  /** Epoch ms "now" (tests); defaults to Date.now(). */
  nowMs?: number;
}

export interface MintedClientToken {
  token: string;
  expiresAtMs: number;
}

const SCOPE_RE = /^[A-Za-z0-9:._*-]+$/;

function badRequest(message: string, details?: Record<string, string | number>): RelayError {
  return new RelayError('RELAY_ERR_BAD_REQUEST', message, details ? { details } : {});
}

/**
 * Mint a short-lived client token (HS256, claim `typ: "client"`), e.g. for the
 * gateway's `POST /v1/tokens`. Callers must first check the grant against the
 * caller's own principal (`assertGrantWithin`).
 */
export async function mintClientToken(options: MintClientTokenOptions): Promise<MintedClientToken> {
  const { secret, tenant, subject, pipelines, scopes, ttlSec } = options;
  if (secret.length < MIN_HS256_SECRET_LENGTH) {
    throw new RelayError('RELAY_ERR_CONFIG', 'hs256Secret must be at least 32 characters');
  }
  if (!Number.isInteger(ttlSec) || ttlSec < 1 || ttlSec > MAX_CLIENT_TOKEN_TTL_SEC) {
    throw badRequest('ttlSec out of range', { min: 1, max: MAX_CLIENT_TOKEN_TTL_SEC });
  }
  if (tenant === '' || subject === '') {
    throw badRequest('tenant and subject are required');
  }
  for (const scope of scopes) {
    if (!SCOPE_RE.test(scope)) {
      throw badRequest('invalid scope name');
    }
  }
  if (pipelines !== '*' && pipelines.some((p) => p === '')) {
    throw badRequest('invalid pipeline name');
  }
  const { maxSessions } = options;
  if (maxSessions !== undefined && (!Number.isInteger(maxSessions) || maxSessions < 1)) {
    throw badRequest('maxSessions must be a positive integer');
  }
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const exp = iat + ttlSec;
  const claims: Record<string, unknown> = {
    tenant,
    scope: scopes.join(' '),
    pipelines: pipelines === '*' ? '*' : [...pipelines],
    typ: CLIENT_TOKEN_TYP,
  };
  if (maxSessions !== undefined) {
    claims['max_sessions'] = maxSessions;
  }
  if (options.keyId !== undefined) {
    claims['key_id'] = options.keyId;
  }
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID());
  if (options.issuer !== undefined) {
    jwt.setIssuer(options.issuer);
  }
  if (options.audience !== undefined) {
    jwt.setAudience(options.audience);
  }
  const token = await jwt.sign(new TextEncoder().encode(secret));
  return { token, expiresAtMs: exp * 1000 };
}
