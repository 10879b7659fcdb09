/**
 * What every speech-provider bridge shares: its options (base URL, where the
 * key comes from), per-call options taken from the pipeline's stage `options`
 * under the provider's prefix, the key (read from the environment, never
 * logged, redacted from every error) and the upstream error type.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Ticker } from '../../core/ticker.js';
import { EngineMonitor, EngineStats } from '../shared/engine-monitor.js';
import { UpstreamError } from '../openai/upstream.js';

export interface ProviderEngineOptions {
  /** Provider API base URL (http(s):// or ws(s)://, no trailing path beyond the version). */
  baseUrl?: string;
  /** Environment variable holding the key (a call may name another one, see `keyEnvOf`). */
  apiKeyEnv?: string;
  /** The key itself (wins over every variable; for embedding). Never logged or echoed. */
  apiKey?: string;
  /** No upstream connection / response headers within this → UNAVAILABLE (default 5000). */
  connectTimeoutMs?: number;
}

export interface ResolvedProviderOptions {
  baseUrl: string;
  apiKeyEnv: string;
  apiKey: string | undefined;
  connectTimeoutMs: number;
}

export class ProviderStats extends EngineStats {
  /** Upstream connections / requests opened. */
  upstreamRequests = 0;
  /** Audio bytes dropped because the upstream was not open yet and the queue was full. */
  droppedAudioBytes = 0;
}

/** A call may name its key variable only if it looks like one (never PATH, HOME...). */
const KEY_ENV = /^[A-Z][A-Z0-9_]{0,63}_(API_KEY|KEY|TOKEN)$/;

export class ProviderEngine<S extends ProviderStats = ProviderStats> {
  readonly options: ResolvedProviderOptions;
  readonly monitor: EngineMonitor<S>;
  /** The provider's prefix in stage options (`deepgram.model`, ...). */
  readonly prefix: string;
  /** One ticker for every call of the engine (keepalives, flush and close timeouts). */
  readonly ticker = new Ticker(250);

  constructor(
    name: string,
    stats: S,
    defaults: { baseUrl: string; apiKeyEnv: string },
    options: ProviderEngineOptions,
  ) {
    this.prefix = name;
    this.monitor = new EngineMonitor(name, stats);
    const baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, '');
    // Validates early (throws TypeError on garbage).
    new URL(baseUrl);
    this.options = {
      baseUrl,
      apiKeyEnv: options.apiKeyEnv ?? defaults.apiKeyEnv,
      apiKey: options.apiKey,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    };
  }

  /** This provider's entries of a stage's `options` map, prefix removed (`deepgram.model` → `model`). */
  callOptions(options: Readonly<Record<string, string>>): Map<string, string> {
    const out = new Map<string, string>();
    const p = `${this.prefix}.`;
    for (const [k, v] of Object.entries(options)) {
      if (k.startsWith(p) && k.length > p.length) {
        out.set(k.slice(p.length), v);
      }
    }
    return out;
  }

  /** The key variable for a call: `<prefix>.apiKeyEnv` from its options, else the engine's. */
  keyEnvOf(call: ReadonlyMap<string, string>): string {
    const name = call.get('apiKeyEnv');
    if (name === undefined || name === '') {
      return this.options.apiKeyEnv;
    }
    if (!KEY_ENV.test(name)) {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `option ${this.prefix}.apiKeyEnv must name a variable ending in _API_KEY, _KEY or _TOKEN, got ${JSON.stringify(name)}`,
      );
    }
    return name;
  }

  /** The key now (read from the environment on every call); undefined when unset. */
  apiKey(envName = this.options.apiKeyEnv): string | undefined {
    const key = this.options.apiKey ?? process.env[envName];
    return key === undefined || key === '' ? undefined : key;
  }

  /** `text` with `key` (if it appears) replaced. */
  redact(text: string, key: string | undefined): string {
    return key === undefined || key.length < 8 ? text : text.split(key).join('[redacted]');
  }
}

/** An error of any kind as an UpstreamError (network failures → UNAVAILABLE). */
export function asUpstreamError(err: unknown, what: string): UpstreamError {
  if (err instanceof UpstreamError) {
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(GrpcStatus.UNAVAILABLE, `${what}: ${message}`, { retryable: true });
}

/** A boolean option: "true"/"false" (undefined when absent). */
export function boolOption(
  call: ReadonlyMap<string, string>,
  name: string,
  prefix: string,
): boolean | undefined {
  const v = call.get(name);
  if (v === undefined) {
    return undefined;
  }
  if (v !== 'true' && v !== 'false') {
    throw new UpstreamError(
      GrpcStatus.INVALID_ARGUMENT,
      `option ${prefix}.${name} must be "true" or "false", got ${JSON.stringify(v)}`,
    );
  }
  return v === 'true';
}

/** A number option within [min, max] (undefined when absent). */
export function numberOpt(
  call: ReadonlyMap<string, string>,
  name: string,
  prefix: string,
  min: number,
  max: number,
): number | undefined {
  const v = call.get(name);
  if (v === undefined) {
    return undefined;
  }
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UpstreamError(
      GrpcStatus.INVALID_ARGUMENT,
      `option ${prefix}.${name} must be a number in ${min}..${max}, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}
