import { SignJWT } from 'jose';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../observability/logger.js';
import { relayConfigSchema, type RelayConfig } from '../server/relay-config.js';
import { startRelay, type Relay, type RelayExtras } from '../server/relay.js';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
export const TEST_ADMIN_KEY = 'vra_test-admin-key-0123456789abcdef0123456789';
export const REPO_PIPELINES = fileURLToPath(new URL('../../pipelines', import.meta.url));

export type TestRelayConfig = Partial<Omit<RelayConfig, 'limits' | 'jwt' | 'state'>> & {
  limits?: Partial<RelayConfig['limits']>;
  state?: Partial<RelayConfig['state']>;
  jwt?: Partial<RelayConfig['jwt']>;
};

/** A relay on loopback port 0 (media and gateway) with a known JWT secret and admin key. */
export async function startTestRelay(
  overrides: TestRelayConfig = {},
  extras: RelayExtras = {},
): Promise<Relay> {
  const config = relayConfigSchema.parse({
    mediaPort: 0,
    gatewayPort: 0,
    opsPort: 0,
    pipelinesDir: REPO_PIPELINES,
    logLevel: 'silent',
    adminKeys: [TEST_ADMIN_KEY],
    heartbeatMs: 5_000,
    ...overrides,
    jwt: { hs256Secret: TEST_JWT_SECRET, ...overrides.jwt },
  });
  return startRelay(config, silentLogger(), extras);
}

export interface TestTokenOptions {
  tenant?: string;
  pipelines?: string[] | '*';
  scopes?: string[];
  /** Seconds from now; negative = already expired. */
  expiresInSec?: number;
  maxSessions?: number;
  subject?: string;
}

/** An HS256 client JWT for the test relay. */
export async function testToken(o: TestTokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    tenant: o.tenant ?? 'acme',
    pipelines: o.pipelines ?? '*',
    scope: (o.scopes ?? ['session:create']).join(' '),
    ...(o.maxSessions === undefined ? {} : { max_sessions: o.maxSessions }),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(o.subject ?? 'tester')
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expiresInSec ?? 600))
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

export function wsUrl(relay: Relay): string {
  return `ws://${relay.mediaAddress ?? ''}`;
}
