import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { z } from 'zod';
import { RelayError } from '../errors/index.js';
import type { Principal } from './principal.js';

export interface JwtOptions {
  /** Shared secret for HS256 (at least 32 characters). */
  hs256Secret?: string;
  /** Local JWKS JSON file for RS256 / EdDSA (read once, at construction). */
  jwksFile?: string;
  /** Remote JWKS URL for RS256 / EdDSA (fetched and cached by jose). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Allowed clock skew for exp/nbf/iat, seconds; default 5. */
  clockToleranceSec?: number;
}

/**
 * Client tokens: short-lived HS256 JWTs minted by the gateway (`mintClientToken`),
 * marked with the claim `typ: "client"`. They are the only credentials accepted in
 * a `?token=` query parameter (URLs end up in logs and browser history), and only
 * if signed with HS256 (the relay's own secret), carrying `iat`, and with a lifetime
 * `exp - iat` of at most MAX_CLIENT_TOKEN_TTL_SEC.
 */
export const CLIENT_TOKEN_TYP = 'client';
export const MAX_CLIENT_TOKEN_TTL_SEC = 3600;
export const MIN_HS256_SECRET_LENGTH = 32;

const ASYMMETRIC_ALGS = ['RS256', 'EdDSA', 'Ed25519'] as const;
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Three dot-separated base64url parts. */
export function isJwtShaped(token: string): boolean {
  return JWT_RE.test(token);
}

const claimsSchema = z.object({
  sub: z.string().min(1).optional(),
  tenant: z.string().min(1),
  scope: z.string().optional(),
  scopes: z.array(z.string().min(1)).optional(),
  pipelines: z.union([z.literal('*'), z.array(z.string().min(1))]).optional(),
  max_sessions: z.number().int().positive().optional(),
  /** The API key that minted this client token (limits and revocation follow it). */
  key_id: z.string().min(1).max(64).optional(),
  exp: z.number(),
  iat: z.number().optional(),
  typ: z.string().optional(),
});

type Claims = z.infer<typeof claimsSchema>;

const jwksSchema = z.object({ keys: z.array(z.object({ kty: z.string() }).loose()) });

function loadJwksFile(path: string): JSONWebKeySet {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RelayError('RELAY_ERR_CONFIG', 'cannot read JWKS file', {
      cause: err,
      details: { path },
    });
  }
  const parsed = jwksSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RelayError('RELAY_ERR_CONFIG', 'JWKS file is not a JWK set', { details: { path } });
  }
  return parsed.data;
}

function config(message: string): RelayError {
  return new RelayError('RELAY_ERR_CONFIG', message);
}

function unauthenticated(message: string, details?: Record<string, string>): RelayError {
  return new RelayError('RELAY_ERR_UNAUTHENTICATED', message, details ? { details } : {});
}

function mapJoseError(err: unknown): RelayError {
  if (err instanceof RelayError) {
    return err;
  }
  if (err instanceof errors.JWTExpired) {
    return new RelayError('RELAY_ERR_TOKEN_EXPIRED', 'token expired', { cause: err });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    const message = err.claim === 'exp' ? 'token has no exp' : 'token claim check failed';
    return new RelayError('RELAY_ERR_UNAUTHENTICATED', message, {
      cause: err,
      details: { claim: err.claim, reason: err.reason },
    });
  }
  if (err instanceof errors.JWKSTimeout) {
    return new RelayError('RELAY_ERR_STORE_UNAVAILABLE', 'token signing keys unavailable', {
      cause: err,
      retryable: true,
    });
  }
  if (err instanceof errors.JOSEError) {
    return new RelayError('RELAY_ERR_UNAUTHENTICATED', 'invalid token', {
      cause: err,
      details: { reason: err.code },
    });
  }
  return new RelayError('RELAY_ERR_INTERNAL', 'token verification failed', {
    cause: err,
    retryable: true,
  });
}

function toPrincipal(claims: Claims): Principal {
  const scopes = new Set<string>(claims.scopes ?? []);
  for (const s of (claims.scope ?? '').split(' ')) {
    if (s !== '') {
      scopes.add(s);
    }
  }
  const principal: Principal = {
    kind: 'jwt',
    subject: claims.sub ?? claims.tenant,
    tenant: claims.tenant,
    scopes: [...scopes],
    // Deny by default: a token without a pipelines claim may use no pipeline.
    pipelines: claims.pipelines ?? [],
    expiresAtMs: claims.exp * 1000,
  };
  if (claims.max_sessions !== undefined) {
    principal.limits = { maxSessions: claims.max_sessions };
  }
  if (claims.key_id !== undefined) {
    principal.keyId = claims.key_id;
  }
  return principal;
}

export interface JwtVerifyOptions {
  /** Require a gateway-minted client token (see CLIENT_TOKEN_TYP). */
  requireClientToken?: boolean;
}

/**
 * Verifies JWTs. The algorithm decides the key source, so keys never cross over:
 * HS256 only with the shared secret; RS256/EdDSA only with the JWKS. `exp` is required.
 */
export class JwtVerifier {
  readonly #secret: Uint8Array | undefined;
  readonly #jwks: JWTVerifyGetKey | undefined;
  readonly #claimOptions: JWTVerifyOptions;
  readonly #toleranceSec: number;

  constructor(options: JwtOptions) {
    const { hs256Secret, jwksFile, jwksUrl } = options;
    if (hs256Secret === undefined && jwksFile === undefined && jwksUrl === undefined) {
      throw config('JWT auth needs hs256Secret, jwksFile or jwksUrl');
    }
    if (jwksFile !== undefined && jwksUrl !== undefined) {
      throw config('set only one of jwksFile and jwksUrl');
    }
    if (hs256Secret !== undefined && hs256Secret.length < MIN_HS256_SECRET_LENGTH) {
      throw config('hs256Secret must be at least 32 characters');
    }
    this.#secret = hs256Secret === undefined ? undefined : new TextEncoder().encode(hs256Secret);
    if (jwksFile !== undefined) {
      this.#jwks = createLocalJWKSet(loadJwksFile(jwksFile));
    } else if (jwksUrl !== undefined) {
      let url: URL;
      try {
        url = new URL(jwksUrl);
      } catch (err) {
        throw new RelayError('RELAY_ERR_CONFIG', 'jwksUrl is not a URL', { cause: err });
      }
      this.#jwks = createRemoteJWKSet(url, { timeoutDuration: 5_000 });
    } else {
      this.#jwks = undefined;
    }
    const tolerance = options.clockToleranceSec ?? 5;
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw config('clockToleranceSec must be a non-negative number');
    }
    this.#toleranceSec = tolerance;
    this.#claimOptions = { clockTolerance: tolerance, requiredClaims: ['exp'] };
    if (options.issuer !== undefined) {
      this.#claimOptions.issuer = options.issuer;
    }
    if (options.audience !== undefined) {
      this.#claimOptions.audience = options.audience;
    }
  }

  async verify(token: string, options: JwtVerifyOptions = {}): Promise<Principal> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      // Not a decodable JWT header (e.g. "not.a.token"): a bad credential, not a fault.
      throw unauthenticated('invalid token');
    }
    let payload: JWTPayload;
    try {
      if (alg === 'HS256') {
        if (this.#secret === undefined) {
          throw unauthenticated('unsupported token algorithm', { alg });
        }
        ({ payload } = await jwtVerify(token, this.#secret, {
          ...this.#claimOptions,
          algorithms: ['HS256'],
        }));
      } else if (this.#jwks !== undefined && ASYMMETRIC_ALGS.some((a) => a === alg)) {
        ({ payload } = await jwtVerify(token, this.#jwks, {
          ...this.#claimOptions,
          algorithms: [...ASYMMETRIC_ALGS],
        }));
      } else {
        throw unauthenticated('unsupported token algorithm', { alg: alg ?? 'none' });
      }
    } catch (err) {
      throw mapJoseError(err);
    }
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) {
      const claim = parsed.error.issues[0]?.path[0];
      throw unauthenticated('token claims invalid', { claim: String(claim ?? '') });
    }
    const c = parsed.data;
    if (c.typ === CLIENT_TOKEN_TYP || options.requireClientToken === true) {
      // A client token is short-lived wherever it is presented, and never issued in
      // the future (a future iat would stretch exp - iat far past the cap).
      const nowSec = Date.now() / 1000;
      const shortLived =
        c.iat !== undefined &&
        c.iat <= nowSec + this.#toleranceSec &&
        c.exp - c.iat > 0 &&
        c.exp - c.iat <= MAX_CLIENT_TOKEN_TTL_SEC;
      if (alg !== 'HS256' || c.typ !== CLIENT_TOKEN_TYP || !shortLived) {
        throw unauthenticated('only short-lived client tokens are accepted here');
      }
    }
    return toPrincipal(parsed.data);
  }
}
