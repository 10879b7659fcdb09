#!/usr/bin/env node
import { ConfigError } from './config/pipelines.js';
import { createLogger } from './observability/logger.js';
import { loadRelayConfig } from './server/relay-config.js';
import { startRelay } from './server/relay.js';

/**
 * The relay process. `npm start` runs the embedded default in development mode:
 * in-memory state, embedded engines, and client tokens from the gateway's
 * POST /v1/tokens/dev (loopback only). SIGTERM/SIGINT drain and exit 0.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadRelayConfig(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(
      `voice-relay: invalid configuration\n${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: config.logLevel });
  let relay;
  try {
    relay = await startRelay(config, logger);
  } catch (err) {
    const msg =
      err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err);
    logger.fatal({ err: msg }, 'relay failed to start');
    process.exitCode = 1;
    return;
  }
  if (config.devTokens) {
    logger.warn(
      { gateway: relay.gatewayUrl },
      'development mode: the gateway mints client tokens without credentials',
    );
  }
  logger.info(
    {
      node: relay.nodeId,
      media: relay.mediaAddress,
      gateway: relay.gatewayUrl,
      pipelines: relay.pipelines.list().map((p) => p.name),
    },
    'relay started',
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal, graceMs: config.drainGraceMs }, 'draining');
    void relay
      .drain(config.drainGraceMs)
      .then(() => relay.close())
      .then(
        () => {
          logger.info('relay stopped');
          process.exitCode = 0;
        },
        (err: unknown) => {
          logger.error({ err: String(err) }, 'shutdown failed');
          process.exitCode = 1;
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
