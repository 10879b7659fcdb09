import { readFileSync } from 'node:fs';

/** The package version (package.json next to src/ and dist/). */
export function relayVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** `voice-relay --help`: every flag with its config field and environment variable. */
export function relayHelp(): string {
  return `voice-relay ${relayVersion()}: real-time media relay for voice AI

Usage: voice-relay [options]        (node dist/main.js, or npm start in development)

Sources, later ones winning: defaults, --config FILE, environment, flags.
Field names are those of the config file (YAML or JSON).

Options                  field / environment                              default
  --config FILE          VOICE_RELAY_CONFIG                               none
  --role ROLE            role / VOICE_RELAY_ROLE (all, media, gateway)    all
  --node-id ID           nodeId / VOICE_RELAY_NODE_ID                     hostname-pid-random
  --host HOST            host / VOICE_RELAY_HOST                          127.0.0.1
  --port PORT            mediaPort / VOICE_RELAY_MEDIA_PORT               8080
  --gateway-host HOST    gatewayHost / VOICE_RELAY_GATEWAY_HOST           127.0.0.1
  --gateway-port PORT    gatewayPort / VOICE_RELAY_GATEWAY_PORT           8081
  --ops-host HOST        opsHost / VOICE_RELAY_OPS_HOST                   host
  --ops-port PORT        opsPort / VOICE_RELAY_OPS_PORT                   8082
                         (media-only nodes: /metrics, /healthz, /readyz)
  --pipelines DIR        pipelinesDir / VOICE_RELAY_PIPELINES             pipelines
  --redis URL            redisUrl / VOICE_RELAY_REDIS_URL                 none (memory)
  --log-level LEVEL      logLevel / VOICE_RELAY_LOG_LEVEL                 info
  --admin-keys K1,K2     adminKeys / VOICE_RELAY_ADMIN_KEYS               none
  --jwt-secret SECRET    jwt.hs256Secret / VOICE_RELAY_JWT_SECRET         none
                         (also jwt.jwksFile / VOICE_RELAY_JWKS_FILE,
                         jwt.jwksUrl / VOICE_RELAY_JWKS_URL)
  --dev-tokens           devTokens / VOICE_RELAY_DEV_TOKENS               false
                         (development only: tokens without credentials,
                         the demo page, a loopback admin key for the run)
  --workers N|auto       workers / VOICE_RELAY_WORKERS                    auto
                         (relay processes sharing the listeners; auto =
                         one per core, 1 with --dev-tokens or role gateway)
  -h, --help             this text
  -v, --version          the version

File/environment only: apiKeyPepper / VOICE_RELAY_API_KEY_PEPPER,
allowedOrigins / VOICE_RELAY_ALLOWED_ORIGINS, limits.*, grpc.*, webrtc.*,
telephony.*, heartbeatMs, drainGraceMs, simEngine / VOICE_RELAY_SIM_ENGINE (host:port of
sim engines run by another process, for embedded:sim endpoints). An example production config: src/config/relay.example.yaml.
Logs are human-readable on a terminal and JSON lines otherwise.
`;
}
