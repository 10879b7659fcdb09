import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../config/pipelines.js';
import { quotasConfigSchema } from '../config/quota-schema.js';
import { telephonyConfigSchema } from '../transports/telephony/bridge/config-schema.js';

/**
 * Process configuration, validated once at start. Sources, later ones winning:
 * defaults < config file (--config FILE, YAML or JSON) < environment (VOICE_RELAY_*)
 * < command-line flags. The result is frozen and passed in explicitly.
 */
export const relayConfigSchema = z
  .strictObject({
    role: z.enum(['all', 'media', 'gateway']).default('all'),
    nodeId: z.string().min(1).max(64).optional(),
    host: z.string().default('127.0.0.1'),
    mediaPort: z.number().int().min(0).max(65535).default(8080),
    gatewayHost: z.string().default('127.0.0.1'),
    gatewayPort: z.number().int().min(0).max(65535).default(8081),
    /** Ops listener of a media-only node (/metrics, /healthz, /readyz); host defaults to `host`. */
    opsHost: z.string().optional(),
    opsPort: z.number().int().min(0).max(65535).default(8082),
    pipelinesDir: z.string().default('pipelines'),
    /** redis://… for fleets; absent = in-memory state (single process). */
    redisUrl: z.string().url().optional(),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** Admin credentials for the gateway: a list, or one comma-separated string (anywhere). */
    adminKeys: z
      .preprocess((v) => (typeof v === 'string' ? splitList(v) : v), z.array(z.string().min(32)))
      .default([]),
    jwt: z
      .strictObject({
        hs256Secret: z.string().min(32).optional(),
        jwksFile: z.string().optional(),
        jwksUrl: z.string().url().optional(),
        issuer: z.string().optional(),
        audience: z.string().optional(),
      })
      .prefault({}),
    apiKeyPepper: z.string().min(16).optional(),
    /** Development only: mint client tokens without credentials (POST /v1/tokens/dev). */
    devTokens: z.boolean().default(false),
    allowedOrigins: z.array(z.string()).default([]),
    limits: z
      .strictObject({
        maxSessions: z.number().int().positive().default(2000),
        maxSessionsPerKey: z.number().int().positive().default(100),
        connectsPerMinute: z.number().int().positive().default(600),
        /** Dev-mode token route (POST /v1/tokens/dev): requests per minute per client IP. */
        devTokensPerMinute: z.number().int().positive().default(30),
        maxPayloadBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(64 * 1024),
        maxMessagesPerSecond: z.number().int().positive().default(200),
        /** WebSocket send backlog above which reply audio is dropped (counted). */
        wsDropAudioAboveBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024),
        /** Send backlog at which a client that does not read is closed with 4008. */
        wsCloseAboveBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** How long a client may stay above the drop threshold before it is closed. */
        wsMaxSlowMs: z.number().int().positive().default(5_000),
      })
      .prefault({}),
    /** The state store (memory, or Redis with `redisUrl`) and what happens when it is down. */
    state: z
      .strictObject({
        /** Longest wait for one store command; a connection known to be down fails at once. */
        commandTimeoutMs: z.number().int().min(50).max(60_000).default(1_000),
        /** How often each node refreshes (and, after a store restart, recreates) its records. */
        refreshMs: z.number().int().min(100).max(60_000).default(10_000),
        /** New sessions while the store is unreachable: refuse (503) or admit without fleet limits. */
        whenUnavailable: z.enum(['refuse', 'admit']).default('refuse'),
      })
      .prefault({}),
    /** The tamper-evident audit log of every turn (README "Audit log"); off unless given. */
    audit: z
      .strictObject({
        /** The JSONL file (rotated to `<path>.1`, `.2`, …). */
        path: z.string().min(1),
        maxBytes: z
          .number()
          .int()
          .min(4_096)
          .default(64 * 1024 * 1024),
        /** Rotated files kept. */
        keep: z.number().int().min(0).max(1_000).default(5),
        /** Also append every record to this Redis stream (on `redisUrl`). */
        redisStream: z
          .strictObject({
            key: z.string().min(1).default('voice-relay:audit'),
            maxLen: z.number().int().min(1_000).default(1_000_000),
          })
          .optional(),
      })
      .optional(),
    /** The gRPC channels to stage engines: a pool per endpoint, with keepalive. */
    grpc: z
      .strictObject({
        /** HTTP/2 connections per stage endpoint; sessions' calls are spread over them. */
        channelsPerEndpoint: z.number().int().min(1).max(64).default(4),
        /** Keepalive ping interval; the engine server must allow pings this often. */
        keepaliveTimeMs: z.number().int().min(1_000).default(30_000),
        /** A ping unanswered this long fails the connection (and only its streams). */
        keepaliveTimeoutMs: z.number().int().min(1_000).default(10_000),
      })
      .prefault({}),
    /** WebRTC ingress (WHIP-style signalling on the media listener); loopback-only by default. */
    webrtc: z
      .strictObject({
        /** Addresses werift gathers host candidates on (besides its NICs). */
        hostAddresses: z.array(z.string()).optional(),
        /** Local candidate addresses/CIDRs kept in the answer (default: hostAddresses). */
        allowedLocalAddresses: z.array(z.string()).optional(),
        allowedRemoteAddresses: z.array(z.string()).optional(),
        /** STUN/TURN servers; none by default (no public STUN unless configured). */
        iceServers: z
          .array(
            z.strictObject({
              urls: z.string(),
              username: z.string().optional(),
              credential: z.string().optional(),
            }),
          )
          .optional(),
        idleTimeoutMs: z.number().int().min(1000).optional(),
      })
      .prefault({}),
    /** Carrier ingress (Twilio, Telnyx, …, AudioSocket); absent = no carrier paths. */
    telephony: telephonyConfigSchema.optional(),
    heartbeatMs: z.number().int().min(100).default(15_000),
    drainGraceMs: z.number().int().min(0).default(10_000),
    /**
     * Relay processes sharing the listeners (node:cluster): a count, or `auto` = one per core
     * for role media/all, one in development mode (devTokens) and for role gateway.
     */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
    /** Tenant quotas: LLM tokens, TTS characters, STT seconds per minute/day (README "Quotas"). */
    quotas: quotasConfigSchema.optional(),
    /**
     * `host:port` of simulated engines run by another process (`npm run engine -- sim`):
     * `embedded:sim` endpoints dial it and the relay does not run the sim engines itself
     * (load tests: the engines' work stays off the relay's event loop).
     */
    simEngine: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[\w.-]+):\d{1,5}$/, 'expected host:port of a running sim engine')
      .optional(),
  })
  .refine((c) => c.audit?.redisStream === undefined || c.redisUrl !== undefined, {
    message: 'needs redisUrl (the Redis the audit stream is written to)',
    path: ['audit', 'redisStream'],
  });

export type RelayConfig = z.infer<typeof relayConfigSchema>;

const ENV: Record<string, (v: string, into: Record<string, unknown>) => void> = {
  VOICE_RELAY_ROLE: (v, o) => (o['role'] = v),
  VOICE_RELAY_NODE_ID: (v, o) => (o['nodeId'] = v),
  VOICE_RELAY_HOST: (v, o) => (o['host'] = v),
  VOICE_RELAY_MEDIA_PORT: (v, o) => (o['mediaPort'] = Number(v)),
  VOICE_RELAY_GATEWAY_HOST: (v, o) => (o['gatewayHost'] = v),
  VOICE_RELAY_GATEWAY_PORT: (v, o) => (o['gatewayPort'] = Number(v)),
  VOICE_RELAY_OPS_HOST: (v, o) => (o['opsHost'] = v),
  VOICE_RELAY_OPS_PORT: (v, o) => (o['opsPort'] = Number(v)),
  VOICE_RELAY_PIPELINES: (v, o) => (o['pipelinesDir'] = v),
  VOICE_RELAY_REDIS_URL: (v, o) => (o['redisUrl'] = v),
  VOICE_RELAY_LOG_LEVEL: (v, o) => (o['logLevel'] = v),
  VOICE_RELAY_ADMIN_KEYS: (v, o) => (o['adminKeys'] = splitList(v)),
  VOICE_RELAY_JWT_SECRET: (v, o) => (obj(o, 'jwt')['hs256Secret'] = v),
  VOICE_RELAY_JWKS_FILE: (v, o) => (obj(o, 'jwt')['jwksFile'] = v),
  VOICE_RELAY_JWKS_URL: (v, o) => (obj(o, 'jwt')['jwksUrl'] = v),
  VOICE_RELAY_API_KEY_PEPPER: (v, o) => (o['apiKeyPepper'] = v),
  VOICE_RELAY_DEV_TOKENS: (v, o) => (o['devTokens'] = v === '1' || v === 'true'),
  VOICE_RELAY_ALLOWED_ORIGINS: (v, o) => (o['allowedOrigins'] = splitList(v)),
  VOICE_RELAY_WORKERS: (v, o) => (o['workers'] = workersValue(v)),
  VOICE_RELAY_SIM_ENGINE: (v, o) => (o['simEngine'] = v),
};

function workersValue(v: string): number | string {
  return v === 'auto' ? v : Number(v);
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function obj(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = o[key];
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return v as Record<string, unknown>;
  }
  const fresh: Record<string, unknown> = {};
  o[key] = fresh;
  return fresh;
}

/** Command-line flags (the README's Configuration table and `--help` list each). */
export const RELAY_FLAGS = {
  config: { type: 'string' },
  role: { type: 'string' },
  'node-id': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'gateway-host': { type: 'string' },
  'gateway-port': { type: 'string' },
  'ops-host': { type: 'string' },
  'ops-port': { type: 'string' },
  pipelines: { type: 'string' },
  redis: { type: 'string' },
  'log-level': { type: 'string' },
  'admin-keys': { type: 'string' },
  'jwt-secret': { type: 'string' },
  'dev-tokens': { type: 'boolean' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Environment variables, same names in the README and `--help`. */
export const RELAY_ENV_NAMES: readonly string[] = ['VOICE_RELAY_CONFIG', ...Object.keys(ENV)];

export function loadRelayConfig(argv: string[], env: NodeJS.ProcessEnv): Readonly<RelayConfig> {
  const { values } = parseArgs({ args: argv, strict: true, options: RELAY_FLAGS });
  let raw: Record<string, unknown> = {};
  const source = values.config ?? env['VOICE_RELAY_CONFIG'];
  if (source !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(source, 'utf8'));
    } catch (err) {
      throw new ConfigError([
        { file: source, field: '', message: (err as Error).message.split('\n')[0] ?? 'unreadable' },
      ]);
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      raw = parsed as Record<string, unknown>;
    } else if (parsed !== null && parsed !== undefined) {
      throw new ConfigError([{ file: source, field: '', message: 'expected a mapping' }]);
    }
  }
  for (const [name, apply] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      apply(v, raw);
    }
  }
  const flag = (k: string, v: unknown): void => {
    if (v !== undefined) {
      raw[k] = v;
    }
  };
  flag('role', values.role);
  flag('nodeId', values['node-id']);
  flag('host', values.host);
  flag('mediaPort', values.port === undefined ? undefined : Number(values.port));
  flag('gatewayHost', values['gateway-host']);
  flag(
    'gatewayPort',
    values['gateway-port'] === undefined ? undefined : Number(values['gateway-port']),
  );
  flag('opsHost', values['ops-host']);
  flag('opsPort', values['ops-port'] === undefined ? undefined : Number(values['ops-port']));
  flag('pipelinesDir', values.pipelines);
  flag('redisUrl', values.redis);
  flag('logLevel', values['log-level']);
  flag(
    'adminKeys',
    values['admin-keys'] === undefined ? undefined : splitList(values['admin-keys']),
  );
  flag('devTokens', values['dev-tokens']);
  flag('workers', values.workers === undefined ? undefined : workersValue(values.workers));
  if (values['jwt-secret'] !== undefined) {
    obj(raw, 'jwt')['hs256Secret'] = values['jwt-secret'];
  }
  const r = relayConfigSchema.safeParse(raw);
  if (!r.success) {
    const file = source ?? '(flags/environment)';
    const problems: ConfigProblem[] = r.error.issues.map((i) => ({
      file,
      field:
        i.code === 'unrecognized_keys'
          ? [...i.path, i.keys.join(', ')].join('.')
          : i.path.join('.'),
      // Schemas that list their valid keys say so; zod's own text becomes "unknown field".
      message:
        i.code === 'unrecognized_keys' && i.message.startsWith('Unrecognized key')
          ? 'unknown field'
          : i.message,
    }));
    throw new ConfigError(problems);
  }
  return Object.freeze(r.data);
}

/**
 * A relay that no client could ever authenticate against: no JWT verification source,
 * no dev tokens, and no API keys (none can be created without an admin key, and a
 * memory store starts empty). Returns the warning's hint, or undefined when fine.
 */
export function missingCredentialSource(c: RelayConfig): string | undefined {
  const jwt =
    c.jwt.hs256Secret !== undefined || c.jwt.jwksFile !== undefined || c.jwt.jwksUrl !== undefined;
  if (jwt || c.devTokens || c.adminKeys.length > 0 || c.redisUrl !== undefined) {
    return undefined;
  }
  return 'set jwt.hs256Secret (VOICE_RELAY_JWT_SECRET), jwt.jwksFile or jwt.jwksUrl for client JWTs, or adminKeys (VOICE_RELAY_ADMIN_KEYS) to create API keys';
}

/** How many relay processes `workers` means here: `auto` = one per core, except in development mode. */
export function resolveWorkers(c: RelayConfig, cores: number): number {
  if (c.workers !== 'auto') {
    return c.role === 'gateway' ? 1 : c.workers;
  }
  return c.role === 'gateway' || c.devTokens ? 1 : Math.max(1, cores);
}
