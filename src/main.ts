#!/usr/bin/env node
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { generateAdminKey } from './auth/admin.js';
import { SAY_EXAMPLES } from './engines/reply/phrases.js';
import { describeEngines, pipelineEngines } from './server/engine-report.js';
import { relayHelp, relayVersion } from './server/relay-help.js';
import type { RelayConfig } from './server/relay-config.js';
import type { Relay } from './server/relay.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Development mode with no admin key configured and a loopback-only gateway: a fresh admin
 * key for this run, so the README's gateway examples work (printed once, never logged).
 */
function withDevAdminKey(config: Readonly<RelayConfig>): [Readonly<RelayConfig>, string?] {
  if (!config.devTokens || config.adminKeys.length > 0 || !LOOPBACK.has(config.gatewayHost)) {
    return [config];
  }
  const key = generateAdminKey();
  return [Object.freeze({ ...config, adminKeys: [key] }), key];
}

/** What a developer needs after `npm start`: the demo URL, an admin key, the engines, things to say. */
function devBanner(relay: Relay, adminKey: string | undefined, media = relay.mediaAddress): string {
  const lines = [`\nvoice-relay ${relayVersion()} in development mode (never in production)`];
  if (media !== undefined) {
    lines.push(`  demo page:  http://${media}/demo`);
  }
  if (relay.gatewayUrl !== undefined) {
    lines.push(`  gateway:    ${relay.gatewayUrl}`);
  }
  if (adminKey !== undefined) {
    lines.push(`  admin key:  ${adminKey}  (this run only, gateway on loopback)`);
    lines.push(`              export ADMIN=${adminKey}`);
  }
  for (const p of relay.pipelines.list()) {
    lines.push(`  pipeline ${p.name}: ${describeEngines(pipelineEngines(p, relay.engines))}`);
  }
  lines.push(`  things to say: ${SAY_EXAMPLES.map((s) => `"${s}"`).join(', ')}`);
  lines.push(`  talk from a terminal: npm run cli -- connect --text "what time is it"\n`);
  return `${lines.join('\n')}\n`;
}

/**
 * The relay process. `npm start` runs the embedded default in development mode:
 * in-memory state, embedded engines, and client tokens from the gateway's
 * POST /v1/tokens/dev (loopback only). SIGTERM/SIGINT drain and exit 0.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(relayHelp());
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${relayVersion()}\n`);
    return;
  }
  // Loaded only now: --help and --version answer without loading the relay.
  const { loadRelayConfig, missingCredentialSource, resolveWorkers } =
    await import('./server/relay-config.js');
  const { ConfigError } = await import('./config/pipelines.js');
  const { createLogger } = await import('./observability/logger.js');
  const { startRelay } = await import('./server/relay.js');
  const { default: cluster } = await import('node:cluster');
  let loaded;
  try {
    loaded = loadRelayConfig(argv, process.env);
  } catch (err) {
    process.stderr.write(
      `voice-relay: invalid configuration (see --help)\n${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 2;
    return;
  }
  if (cluster.isWorker) {
    const { runWorker } = await import('./cluster/worker.js');
    const logger = createLogger({ level: loaded.logLevel, pretty: process.stdout.isTTY });
    await runWorker(loaded, logger);
    return;
  }
  const [config, devAdminKey] = withDevAdminKey(loaded);
  const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });
  const workers = resolveWorkers(config, availableParallelism());
  if (workers > 1) {
    await runCluster(config, logger, workers, devAdminKey);
    return;
  }
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
  const noCredentials = missingCredentialSource(config);
  if (noCredentials !== undefined) {
    logger.warn({ hint: noCredentials }, 'no client credential source: no client can authenticate');
  }
  logger.info(
    {
      node: relay.nodeId,
      media: relay.mediaAddress,
      gateway: relay.gatewayUrl,
      ops: relay.opsUrl,
      pipelines: relay.pipelines.list().map((p) => p.name),
    },
    'relay started',
  );
  if (config.devTokens) {
    logger.warn(
      { gateway: relay.gatewayUrl },
      'development mode: the gateway mints client tokens without credentials',
    );
    process.stdout.write(devBanner(relay, devAdminKey));
  }
  onStopSignals(logger, config.drainGraceMs, async () => {
    await relay.drain(config.drainGraceMs);
    await relay.close();
    return 0;
  });
}

/** SIGTERM/SIGINT: log, run `shutdown` once, exit with its code (1 if it fails). */
function onStopSignals(logger: Logger, graceMs: number, shutdown: () => Promise<number>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal, graceMs }, 'draining');
    void shutdown().then(
      (code) => {
        logger.info('relay stopped');
        process.exitCode = code;
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

/** `--workers N` (N > 1): this process is the cluster primary. */
async function runCluster(
  config: Readonly<RelayConfig>,
  logger: Logger,
  workers: number,
  devAdminKey: string | undefined,
): Promise<void> {
  const { startCluster } = await import('./cluster/primary.js');
  let c;
  try {
    c = await startCluster(config, logger, workers);
  } catch (err) {
    logger.fatal(
      { err: err instanceof Error ? err.message : String(err) },
      'relay failed to start',
    );
    process.exitCode = 1;
    return;
  }
  logger.info(
    {
      node: c.relay.nodeId,
      media: c.mediaAddress,
      gateway: c.relay.gatewayUrl,
      ops: c.relay.opsUrl,
      pipelines: c.relay.pipelines.list().map((p) => p.name),
      workers,
    },
    'relay started',
  );
  if (config.devTokens) {
    process.stdout.write(devBanner(c.relay, devAdminKey, c.mediaAddress));
  }
  const cluster = c;
  onStopSignals(logger, config.drainGraceMs, () => cluster.stop());
}

void main();
