import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Authenticator } from '../auth/index.js';
import type { PipelineRegistry } from '../config/pipeline-registry.js';
import type { QuotasConfig } from '../config/quota-schema.js';
import type { StateStore } from '../state/index.js';

/** Dev-mode token minting: `POST /v1/tokens/dev`, no credentials (see README.md). */
export interface DevTokenConfig {
  tenant: string;
  pipelines: string[];
}

/** Client-token minting (`POST /v1/tokens`). */
export interface GatewayTokenConfig {
  /** The relay's HS256 secret: the same value as the Authenticator's `jwt.hs256Secret`. */
  secret: string;
  issuer?: string;
  audience?: string;
  /** Longest lifetime a caller may ask for, seconds; default and cap 3600. */
  maxTtlSec?: number;
  /** Default lifetime when the body has no `ttlSec`; default 300 (capped at maxTtlSec). */
  defaultTtlSec?: number;
  /** Enables the unauthenticated `POST /v1/tokens/dev`. Off (absent) by default. */
  devMode?: DevTokenConfig;
}

/** Sliding-window limit on failed authentications per client IP (store.hitRate). */
export interface AuthFailureLimit {
  limit: number;
  windowMs: number;
}

export interface GatewayDeps {
  store: StateStore;
  pipelines: PipelineRegistry;
  /** prom-client registry served on `/metrics`. */
  registry: Registry;
  /** Admin credentials (separate from client credentials); see auth/README.md. */
  adminKeys: readonly string[];
  /** Verifies client credentials (API keys, JWTs) on `POST /v1/tokens`. */
  authenticator?: Authenticator;
  /** Server pepper for API-key hashes; must be the one the Authenticator uses. */
  apiKeyPepper?: string;
  /** Token minting; without it `POST /v1/tokens` answers 501. */
  tokens?: GatewayTokenConfig;
  /** False while draining / not started: `/readyz` answers 503. */
  ready: () => boolean;
  /**
   * While the state store is unreachable `/readyz` answers 503 (code
   * RELAY_ERR_STORE_UNAVAILABLE), unless this is true (degraded mode admitting new
   * sessions): then 200 with status `degraded`.
   */
  degradedReady?: boolean;
  logger: Logger;
  nodeId?: string;
  /** Require admin credentials on `/metrics`; default false (Prometheus scrapes without auth). */
  metricsAuth?: boolean;
  /** Failed-auth limit per client IP; default 20 per 60 s; `false` disables it. */
  authFailureLimit?: AuthFailureLimit | false;
  /** Requests per minute per client IP on the dev-mode token route; default 30. */
  devTokenRatePerMin?: number;
  /** Passed to fastify (`request.ip` from X-Forwarded-For); default false. */
  trustProxy?: boolean | string | string[];
  /** Tenant quotas, for `GET /v1/tenants/:tenant/usage` (absent: every tenant unlimited). */
  quotas?: QuotasConfig;
}
