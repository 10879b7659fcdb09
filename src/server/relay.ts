import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Authenticator } from '../auth/authenticator.js';
import { assertAdminKeysValid } from '../auth/admin.js';
import { PipelineRegistry } from '../config/pipeline-registry.js';
import { Ticker } from '../core/ticker.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { StageClients } from '../stages/stage-clients.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { AuditLog } from '../audit/audit-log.js';
import { AuditRedisStream } from '../audit/redis-stream.js';
import { SessionManager } from '../session/session-manager.js';
import { QuotaService } from '../quota/quota-service.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { RedisStateStore } from '../state/redis-store.js';
import type { StateStore } from '../state/types.js';
import { startGateway } from '../gateway/listen.js';
import {
  startEmbeddedEngines,
  type EmbeddedEngines,
  type EngineAvailability,
} from './embedded-engines.js';
import { MediaServer } from './media-server.js';
import { OpsServer } from './ops-server.js';
import { pipelineEngines } from './engine-report.js';
import { SAY_EXAMPLES } from '../engines/reply/phrases.js';
import type { MediaModuleFactory } from '../transports/ports.js';
import { createWebRtcModule } from '../transports/webrtc/index.js';
import {
  createTelephonyModule,
  telephonyOptionsFromConfig,
} from '../transports/telephony/bridge/index.js';

/** The ingress modules a relay loads by default. */
export const DEFAULT_MEDIA_MODULES: MediaModuleFactory[] = [];
import type { RelayConfig } from './relay-config.js';

export interface Relay {
  readonly nodeId: string;
  readonly metrics: Metrics;
  readonly store: StateStore;
  readonly pipelines: PipelineRegistry;
  readonly sessions: SessionManager | undefined;
  /** `host:port` of the media listener (role all/media). */
  readonly mediaAddress: string | undefined;
  /** Base URL of the management gateway (role all/gateway), e.g. http://127.0.0.1:8081. */
  readonly gatewayUrl: string | undefined;
  /** Base URL of the ops listener (role media only: /metrics, /healthz, /readyz). */
  readonly opsUrl: string | undefined;
  readonly engines: EmbeddedEngines | undefined;
  /** Readiness false, new upgrades 503, sessions finish their turn within the grace, close 1001. */
  drain(graceMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The dev-mode tenant that `POST /v1/tokens/dev` mints tokens for. */
export const DEV_TENANT = 'dev';

/**
 * Compose a relay process from its config: state store, pipelines, embedded engines,
 * stage clients, the media listener and/or the management gateway (by role).
 */
export interface RelayExtras {
  /** Ingress modules on the media listener (WebRTC signalling, carrier sockets). */
  modules?: MediaModuleFactory[];
  /** Which real engines count as installed (default: detected; tests force them off). */
  engineAvailability?: EngineAvailability;
  /** Use this store instead of one built from the config (a cluster worker's IPC store). */
  store?: StateStore;
  /**
   * Part of a cluster (`--workers`): a `worker` runs only the media side (its listeners are
   * shared through node:cluster); the `primary` runs only the gateway (role all/gateway) or
   * the ops listener (role media), serving `registry` (all workers' metrics) on /metrics.
   */
  cluster?: { part: 'worker' } | { part: 'primary'; registry: Registry; ready: () => boolean };
}

/** The config file's webrtc section as module options (only the fields that are set). */
function webrtcOptions(w: RelayConfig['webrtc']): Parameters<typeof createWebRtcModule>[0] {
  return {
    ...(w.hostAddresses === undefined ? {} : { hostAddresses: w.hostAddresses }),
    ...(w.allowedLocalAddresses === undefined
      ? {}
      : { allowedLocalAddresses: w.allowedLocalAddresses }),
    ...(w.allowedRemoteAddresses === undefined
      ? {}
      : { allowedRemoteAddresses: w.allowedRemoteAddresses }),
    ...(w.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: w.idleTimeoutMs }),
    ...(w.iceServers === undefined
      ? {}
      : {
          iceServers: w.iceServers.map((i) => ({
            urls: i.urls,
            ...(i.username === undefined ? {} : { username: i.username }),
            ...(i.credential === undefined ? {} : { credential: i.credential }),
          })),
        }),
  };
}

export async function startRelay(
  config: RelayConfig,
  logger: Logger,
  extras: RelayExtras = {},
): Promise<Relay> {
  assertAdminKeysValid(config.adminKeys);
  const nodeId = config.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const metrics = createMetrics(undefined, true);
  const pipelines = await PipelineRegistry.load(config.pipelinesDir);
  const store: StateStore =
    extras.store ??
    (config.redisUrl === undefined
      ? new MemoryStateStore({ nodeId })
      : new RedisStateStore({
          url: config.redisUrl,
          nodeId,
          commandTimeoutMs: config.state.commandTimeoutMs,
        }));
  const served = extras.cluster?.part === 'primary' ? extras.cluster.registry : metrics.registry;
  const part = extras.cluster?.part;
  const workersReady = extras.cluster?.part === 'primary' ? extras.cluster.ready : () => true;
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  let ready = false;
  let draining = false;
  const hs256Secret =
    config.jwt.hs256Secret ??
    (config.devTokens ? randomBytes(32).toString('base64url') : undefined);
  const jwt = {
    ...(hs256Secret === undefined ? {} : { hs256Secret }),
    ...(config.jwt.jwksFile === undefined ? {} : { jwksFile: config.jwt.jwksFile }),
    ...(config.jwt.jwksUrl === undefined ? {} : { jwksUrl: config.jwt.jwksUrl }),
    ...(config.jwt.issuer === undefined ? {} : { issuer: config.jwt.issuer }),
    ...(config.jwt.audience === undefined ? {} : { audience: config.jwt.audience }),
  };
  const authenticator = new Authenticator({
    keys: store,
    ...(Object.keys(jwt).length > 0 ? { jwt } : {}),
    ...(config.apiKeyPepper === undefined ? {} : { apiKeyPepper: config.apiKeyPepper }),
  });

  try {
    let gatewayUrl: string | undefined;
    let opsUrl: string | undefined;
    let engines: EmbeddedEngines | undefined;
    let sessions: SessionManager | undefined;
    let media: MediaServer | undefined;
    let mediaAddress: string | undefined;
    if (config.role !== 'gateway' && part !== 'primary') {
      engines = await startEmbeddedEngines(
        pipelines.list(),
        logger,
        extras.engineAvailability,
        process.env,
        config.simEngine === undefined ? {} : { sim: config.simEngine },
      );
      const running = engines;
      cleanups.push(() => running.close());
      logger.info(
        {
          auto: engines.auto,
          running: Object.keys(engines.targets),
          unavailable: engines.unavailable,
        },
        'embedded engines started',
      );
      const clients = new StageClients({
        engines: engines.targets,
        auto: engines.auto,
        channels: config.grpc,
        metrics,
      });
      for (const p of pipelines.list()) {
        for (const stage of ['stt', 'llm', 'tts'] as const) {
          clients.connect(stage, p.stages[stage].endpoints);
        }
      }
      const ticker = new Ticker(20, (err) =>
        logger.error({ err: String(err) }, 'ticker listener failed'),
      );
      cleanups.push(() => {
        clients.close();
        ticker.stop();
      });
      const a = config.audit;
      const stream =
        a?.redisStream && config.redisUrl !== undefined
          ? new AuditRedisStream(config.redisUrl, a.redisStream)
          : undefined;
      const audit = a && new AuditLog({ ...a, mirror: stream && ((line) => stream.add(line)) });
      if (audit !== undefined) {
        cleanups.push(() => audit.close().then(() => stream?.close()));
      }
      const q = config.quotas;
      const quotas = q && new QuotaService({ store, config: q, metrics, logger });
      cleanups.push(() => quotas?.close());
      sessions = new SessionManager({
        nodeId,
        store,
        quotas,
        deps: {
          stages: grpcStageFactory(clients),
          ticker,
          metrics,
          logger: logger.child({ module: 'pipeline' }),
          audit,
        },
        limits: config.limits,
        logger: logger.child({ module: 'session' }),
        refreshMs: config.state.refreshMs,
        admitWhenStoreDown: config.state.whenUnavailable === 'admit',
      });
      await sessions.start();
      const sm = sessions;
      cleanups.push(() => sm.close());
      media = new MediaServer({
        sessions,
        pipelines,
        authenticator,
        metrics,
        logger: logger.child({ module: 'media' }),
        ticker,
        allowedOrigins: config.allowedOrigins,
        maxPayloadBytes: config.limits.maxPayloadBytes,
        heartbeatMs: config.heartbeatMs,
        maxMessagesPerSecond: config.limits.maxMessagesPerSecond,
        modules: extras.modules ?? [
          ...DEFAULT_MEDIA_MODULES,
          createWebRtcModule({
            ...webrtcOptions(config.webrtc),
            // The demo page exists only in development mode (it takes dev tokens).
            ...(config.devTokens
              ? {
                  demo: {
                    gatewayUrl: () => gatewayUrl ?? '',
                    info: () => ({
                      engines: Object.fromEntries(
                        pipelines.list().map((p) => [p.name, pipelineEngines(p, running)]),
                      ),
                      say: SAY_EXAMPLES,
                    }),
                  },
                }
              : {}),
          }),
          ...(config.telephony === undefined
            ? []
            : [createTelephonyModule(telephonyOptionsFromConfig(config.telephony))]),
        ],
        backpressure: {
          dropAudioAboveBytes: config.limits.wsDropAudioAboveBytes,
          closeAboveBytes: config.limits.wsCloseAboveBytes,
          maxSlowMs: config.limits.wsMaxSlowMs,
        },
      });
      await media.loadModules();
      const addr = await media.listen(config.mediaPort, config.host);
      const m = media;
      cleanups.push(() => m.close());
      mediaAddress = `${addr.address}:${addr.port}`;
    }
    if (part === 'worker') {
      // A worker's metrics and health are served by the primary.
    } else if (config.role !== 'media') {
      const gw = await startGateway(
        {
          store,
          pipelines,
          registry: served,
          adminKeys: config.adminKeys,
          authenticator,
          ...(config.apiKeyPepper === undefined ? {} : { apiKeyPepper: config.apiKeyPepper }),
          ready: () => ready && !draining && workersReady(),
          devTokenRatePerMin: config.limits.devTokensPerMinute,
          ...(config.quotas === undefined ? {} : { quotas: config.quotas }),
          degradedReady: config.state.whenUnavailable === 'admit',
          logger,
          nodeId,
          ...(hs256Secret === undefined
            ? {}
            : {
                tokens: {
                  secret: hs256Secret,
                  // Minted tokens must pass this relay's own issuer/audience checks.
                  ...(config.jwt.issuer === undefined ? {} : { issuer: config.jwt.issuer }),
                  ...(config.jwt.audience === undefined ? {} : { audience: config.jwt.audience }),
                  ...(config.devTokens
                    ? {
                        devMode: {
                          tenant: DEV_TENANT,
                          pipelines: pipelines.list().map((p) => p.name),
                        },
                      }
                    : {}),
                },
              }),
        },
        { host: config.gatewayHost, port: config.gatewayPort },
      );
      cleanups.push(() => gw.close());
      gatewayUrl = gw.address;
    } else {
      // A media-only node has no gateway: its metrics and health get a listener of their own.
      const ops = new OpsServer({
        registry: served,
        nodeId,
        ready: () => ready && !draining && workersReady(),
      });
      const info = await ops.listen(config.opsPort, config.opsHost ?? config.host);
      cleanups.push(() => ops.close());
      const hostPart = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      opsUrl = `http://${hostPart}:${info.port}`;
      logger.info({ host: info.address, port: info.port }, 'ops listener listening');
    }
    ready = true;
    const s = sessions;
    const mediaServer = media;
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closed ??= (async () => {
        ready = false;
        for (const c of cleanups.reverse()) {
          await c();
        }
      })());
    return {
      nodeId,
      metrics,
      store,
      pipelines,
      sessions,
      mediaAddress,
      gatewayUrl,
      opsUrl,
      engines,
      async drain(graceMs) {
        draining = true;
        mediaServer?.startDrain();
        await s?.drain(graceMs);
      },
      close,
    };
  } catch (err) {
    for (const c of cleanups.reverse()) {
      await c();
    }
    throw err;
  }
}
