import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';
import {
  assertSingleHeader,
  isApiKeyShaped,
  isJwtShaped,
  verifyAdmin,
  type Authenticator,
  type Principal,
} from '../auth/index.js';
import { RelayError } from '../errors/index.js';
import type { StateStore } from '../state/index.js';
import type { AuthFailureLimit } from './types.js';

const BEARER_RE = /^Bearer +(\S+)$/i;
/** One message for missing, wrong and client-shaped credentials on admin routes. */
const ADMIN_REFUSED = 'admin credentials required';
const MAX_BLOCKED_IPS = 10_000;

export const DEFAULT_AUTH_FAILURE_LIMIT: AuthFailureLimit = { limit: 20, windowMs: 60_000 };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the gateway's auth hooks once a credential was verified. */
    principal?: Principal;
  }
}

/** The bearer token of `Authorization`, or undefined when absent or not `Bearer X`. */
export function bearerToken(request: FastifyRequest): string | undefined {
  assertSingleHeader(request.raw.rawHeaders, 'authorization');
  const header = request.headers.authorization;
  if (typeof header !== 'string') {
    return undefined;
  }
  return BEARER_RE.exec(header.trim())?.[1];
}

export interface GatewayAuthOptions {
  adminKeys: readonly string[];
  authenticator: Authenticator | undefined;
  store: StateStore;
  limit: AuthFailureLimit | false;
  log: Logger;
}

/**
 * Credential checks of the gateway. Admin routes take only admin credentials
 * (`verifyAdmin`, constant time); client credentials are refused there with the
 * same 401 as a wrong key. Failed attempts count against the caller's IP in the
 * store (fleet-wide sliding window); once over the limit, this node answers 429
 * until the window frees up, without looking at the credential at all.
 */
export class GatewayAuth {
  readonly #opts: GatewayAuthOptions;
  /** ip → epoch ms until which this node refuses it (learned from the store). */
  readonly #blocked = new Map<string, number>();

  constructor(options: GatewayAuthOptions) {
    this.#opts = options;
  }

  /** onRequest hook for admin-only routes. */
  readonly adminHook: onRequestAsyncHookHandler = async (request) => {
    this.#checkBlocked(request.ip);
    try {
      const token = bearerToken(request);
      if (token === undefined) {
        throw new RelayError('RELAY_ERR_UNAUTHENTICATED', ADMIN_REFUSED);
      }
      request.principal = verifyAdmin(token, this.#opts.adminKeys);
    } catch (err) {
      await this.#failed(request, 'admin');
      throw err instanceof RelayError && err.code === 'RELAY_ERR_UNAUTHENTICATED'
        ? new RelayError('RELAY_ERR_UNAUTHENTICATED', ADMIN_REFUSED)
        : err;
    }
  };

  /**
   * Admin or client principal (`POST /v1/tokens`): JWT- and `vr_`-shaped tokens go
   * to the Authenticator, anything else is checked as an admin key.
   */
  async adminOrClient(request: FastifyRequest): Promise<Principal> {
    this.#checkBlocked(request.ip);
    try {
      const token = bearerToken(request);
      if (token === undefined) {
        throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'missing credentials');
      }
      if (isJwtShaped(token) || isApiKeyShaped(token)) {
        const authenticator = this.#opts.authenticator;
        if (authenticator === undefined) {
          throw new RelayError(
            'RELAY_ERR_UNAUTHENTICATED',
            'client credentials are not enabled on this gateway',
          );
        }
        return await authenticator.authenticate(token, { source: 'authorization' });
      }
      return verifyAdmin(token, this.#opts.adminKeys);
    } catch (err) {
      if (err instanceof RelayError && isAuthFailure(err)) {
        await this.#failed(request, 'client');
      }
      throw err;
    }
  }

  #checkBlocked(ip: string): void {
    const until = this.#blocked.get(ip);
    if (until === undefined) {
      return;
    }
    const left = until - Date.now();
    if (left <= 0) {
      this.#blocked.delete(ip);
      return;
    }
    throw rateLimited(left);
  }

  async #failed(request: FastifyRequest, kind: 'admin' | 'client'): Promise<void> {
    const { limit, log, store } = this.#opts;
    log.debug({ kind, route: request.routeOptions.url, ip: request.ip }, 'gateway auth failed');
    if (limit === false) {
      return;
    }
    let result;
    try {
      result = await store.hitRate(`gw:authfail:${request.ip}`, limit.limit, limit.windowMs);
    } catch (err) {
      // Fail open on the limiter only: the request is refused anyway.
      log.warn({ err }, 'gateway auth-failure limiter unavailable');
      return;
    }
    if (!result.allowed) {
      if (this.#blocked.size >= MAX_BLOCKED_IPS) {
        this.#prune();
      }
      this.#blocked.set(request.ip, Date.now() + result.retryAfterMs);
      log.warn({ ip: request.ip, retryAfterMs: result.retryAfterMs }, 'gateway auth rate limited');
      throw rateLimited(result.retryAfterMs);
    }
  }

  #prune(): void {
    const now = Date.now();
    for (const [ip, until] of this.#blocked) {
      if (until <= now) {
        this.#blocked.delete(ip);
      }
    }
    if (this.#blocked.size >= MAX_BLOCKED_IPS) {
      this.#blocked.clear();
    }
  }
}

function isAuthFailure(err: RelayError): boolean {
  return err.code === 'RELAY_ERR_UNAUTHENTICATED' || err.code === 'RELAY_ERR_TOKEN_EXPIRED';
}

export function rateLimited(retryAfterMs: number): RelayError {
  return new RelayError('RELAY_ERR_RATE_LIMITED', 'too many requests', {
    details: { retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)) },
  });
}
