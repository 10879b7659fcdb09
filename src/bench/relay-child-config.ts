import { relayConfigSchema, type RelayConfig } from '../server/relay-config.js';

export interface RelayChildConfig {
  pipelinesDir: string;
  jwtSecret: string;
  adminKey: string;
}

/**
 * The bench relay's config: media and gateway on 127.0.0.1:0, silent, limits raised so
 * the benchmark's own connection pattern is never refused.
 */
export function benchRelayConfig(cfg: RelayChildConfig, workers = 1): RelayConfig {
  return relayConfigSchema.parse({
    mediaPort: 0,
    gatewayPort: 0,
    pipelinesDir: cfg.pipelinesDir,
    logLevel: 'silent',
    adminKeys: [cfg.adminKey],
    jwt: { hs256Secret: cfg.jwtSecret },
    heartbeatMs: 60_000,
    workers,
    limits: { maxSessions: 10_000, maxSessionsPerKey: 10_000, connectsPerMinute: 1_000_000 },
  });
}
