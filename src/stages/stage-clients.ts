import { credentials, Metadata, type Client } from '@grpc/grpc-js';
import type { SpeechToTextClient } from '../generated/voicerelay/v1/SpeechToText.js';
import type { LanguageModelClient } from '../generated/voicerelay/v1/LanguageModel.js';
import type { TextToSpeechClient } from '../generated/voicerelay/v1/TextToSpeech.js';
import type { StageName } from '../frames/events.js';
import { RelayError } from '../errors/errors.js';
import { CallDrain, type RetiredCall } from '../grpc/call-drain.js';
import { ChannelPool, type ClientConstructor } from '../grpc/channel-pool.js';
import {
  DEFAULT_STAGE_CHANNELS,
  stageChannelOptions,
  type StageChannelSettings,
} from '../grpc/channel.js';
import { stageProtos } from '../grpc/protos.js';
import { sttClientConstructor } from '../grpc/stt-audio-encoder.js';
import type { Metrics } from '../observability/metrics.js';
import { EndpointSelectors, type Balance, type EndpointSelector } from './endpoint-selector.js';
import { poolSettingsOf, type EndpointPool, type PoolSettings } from './pool/endpoint-pool.js';
import { PoolRegistry } from './pool/pool-registry.js';

export const EMBEDDED_ENDPOINT = 'embedded';
/** Metadata key carrying a per-call latency profile to the simulated engines. */
export const SIM_PROFILE_METADATA = 'x-sim-profile';

/** Engines a relay process can run itself: local ones and the provider bridges. */
export const EMBEDDED_ENGINES = [
  'sim',
  'espeak',
  'pocketsphinx',
  'reply',
  'deepgram',
  'openai-stt',
  'openai',
  'elevenlabs',
  'cartesia',
  'openai-speech',
] as const;
export type EmbeddedEngine = (typeof EMBEDDED_ENGINES)[number];

/** Which engines can serve which stage. */
export const ENGINE_STAGES: Record<EmbeddedEngine, readonly StageName[]> = {
  sim: ['stt', 'llm', 'tts'],
  espeak: ['tts'],
  pocketsphinx: ['stt'],
  reply: ['llm'],
  deepgram: ['stt'],
  'openai-stt': ['stt'],
  openai: ['llm'],
  elevenlabs: ['tts'],
  cartesia: ['tts'],
  'openai-speech': ['tts'],
};

/** `embedded` → 'auto', `embedded:NAME` → NAME, anything else → undefined (a gRPC target). */
export function parseEmbedded(endpoint: string): EmbeddedEngine | 'auto' | undefined {
  if (endpoint === EMBEDDED_ENDPOINT) {
    return 'auto';
  }
  if (endpoint.startsWith(`${EMBEDDED_ENDPOINT}:`)) {
    const name = endpoint.slice(EMBEDDED_ENDPOINT.length + 1);
    return (EMBEDDED_ENGINES as readonly string[]).includes(name)
      ? (name as EmbeddedEngine)
      : undefined;
  }
  return undefined;
}

type ClientOf<S extends StageName> = S extends 'stt'
  ? SpeechToTextClient
  : S extends 'llm'
    ? LanguageModelClient
    : TextToSpeechClient;

export interface StageClientsOptions {
  /** Shorthand for tests: the sim engines' target per stage (plain `embedded` = sim). */
  embedded?: Partial<Record<StageName, string>>;
  /** Targets of the process's embedded engines, by engine. */
  engines?: Partial<Record<EmbeddedEngine, string>>;
  /** What plain `embedded` means per stage (default sim). */
  auto?: Partial<Record<StageName, EmbeddedEngine>>;
  /** Channels per endpoint and keepalive (the relay config's `grpc` section). */
  channels?: Partial<StageChannelSettings>;
  /** Where the endpoint pools report retries, hedges, ejections and health. */
  metrics?: Metrics;
}

/**
 * A pool of gRPC channels per stage endpoint for the whole process (`channels.
 * channelsPerEndpoint` HTTP/2 connections, calls spread over them by the fewest calls in
 * flight): every session's streams are multiplexed on them, so no call ever pays for a
 * connection, and one connection's failure touches only the streams it carries.
 */
export class StageClients {
  readonly #o: StageClientsOptions;
  readonly #settings: Readonly<StageChannelSettings>;
  readonly #pools = new Map<string, ChannelPool>();
  readonly #selectors = new EndpointSelectors();
  readonly #drain = new CallDrain();
  /** Endpoint pools of the stages that configure `pool` (README "Endpoint pools"). */
  readonly pools: PoolRegistry;
  #closed = false;

  constructor(options: StageClientsOptions = {}) {
    this.#o = options;
    this.#settings = { ...DEFAULT_STAGE_CHANNELS, ...options.channels };
    this.pools = new PoolRegistry((stage, endpoint) => {
      try {
        return this.target(stage, endpoint);
      } catch {
        return undefined;
      }
    }, options.metrics);
  }

  /** The embedded engine an endpoint names (plain `embedded` resolved), or undefined. */
  engineOf(stage: StageName, endpoint: string): EmbeddedEngine | undefined {
    const kind = parseEmbedded(endpoint);
    return kind === 'auto' ? (this.#o.auto?.[stage] ?? 'sim') : kind;
  }

  /** The gRPC target an endpoint string names. */
  target(stage: StageName, endpoint: string): string {
    const engine = this.engineOf(stage, endpoint);
    if (engine === undefined) {
      return endpoint;
    }
    const t =
      this.#o.engines?.[engine] ?? (engine === 'sim' ? this.#o.embedded?.[stage] : undefined);
    if (t === undefined) {
      throw new RelayError(
        'RELAY_ERR_STAGE_UNAVAILABLE',
        `${stage} stage: "${endpoint}" names the embedded ${engine} engine, which this process does not run`,
      );
    }
    return t;
  }

  /** The client for a new call on a stage endpoint (the least busy channel of its pool). */
  get<S extends StageName>(stage: S, endpoint: string): ClientOf<S> {
    const p = stageProtos();
    const ctor: ClientConstructor<Client> =
      stage === 'stt' ? sttClientConstructor() : stage === 'llm' ? p.LanguageModel : p.TextToSpeech;
    return this.pool(stage, endpoint).pick(ctor) as ClientOf<S>;
  }

  /**
   * The channel pool of a stage endpoint's target (created on first use), shared by the
   * stages that call the same target.
   */
  pool(stage: StageName, endpoint: string): ChannelPool {
    if (this.#closed) {
      throw new RelayError('RELAY_ERR_CLOSED', 'stage clients are closed');
    }
    const target = this.target(stage, endpoint);
    let pool = this.#pools.get(target);
    if (pool === undefined) {
      pool = new ChannelPool(
        target,
        credentials.createInsecure(),
        this.#settings.channelsPerEndpoint,
        stageChannelOptions(this.#settings),
      );
      this.#pools.set(target, pool);
    }
    return pool;
  }

  /**
   * Open the connections of every pool for these endpoints now, so the first sessions
   * spread over them instead of all waiting on the first one. Endpoints this process
   * cannot reach yet (an embedded engine it does not run) are skipped.
   */
  connect(stage: StageName, endpoints: readonly string[]): void {
    for (const e of endpoints) {
      try {
        this.pool(stage, e).connect();
      } catch {
        // reported when a call is made
      }
    }
  }

  /**
   * End a streaming call the caller no longer needs without resetting it: half-closed,
   * and cancelled only if the engine has not finished it within a grace (see CallDrain).
   */
  retire(call: RetiredCall): void {
    if (this.#closed) {
      call.cancel();
      return;
    }
    this.#drain.retire(call);
  }

  /** Retired calls the engine has not finished yet. */
  get draining(): number {
    return this.#drain.size;
  }

  /** Call metadata: the sim profile travels only to the embedded simulated engines. */
  metadata(
    endpoint: string,
    sim: Record<string, unknown> | undefined,
    stage: StageName = 'stt',
  ): Metadata {
    const md = new Metadata();
    if (sim !== undefined && this.engineOf(stage, endpoint) === 'sim') {
      md.set(SIM_PROFILE_METADATA, JSON.stringify(sim));
    }
    return md;
  }

  /** The process-wide endpoint selector of a stage's endpoint list (shared by all sessions). */
  selector(
    stage: StageName,
    endpoints: readonly string[],
    balance: Balance,
    pool?: PoolSettings,
  ): EndpointSelector | EndpointPool {
    const settings = pool ?? poolSettingsOf({ balance });
    return settings === undefined
      ? this.#selectors.get(stage, endpoints, balance)
      : this.pools.get(stage, endpoints, balance, settings);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.pools.close();
    this.#drain.close();
    for (const p of this.#pools.values()) {
      p.close();
    }
    this.#pools.clear();
  }
}
