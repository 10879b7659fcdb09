import { credentials, Metadata } from '@grpc/grpc-js';
import type { SpeechToTextClient } from '../generated/voicerelay/v1/SpeechToText.js';
import type { LanguageModelClient } from '../generated/voicerelay/v1/LanguageModel.js';
import type { TextToSpeechClient } from '../generated/voicerelay/v1/TextToSpeech.js';
import type { StageName } from '../frames/events.js';
import { RelayError } from '../errors/errors.js';
import { STAGE_CHANNEL_OPTIONS } from '../grpc/channel.js';
import { stageProtos } from '../grpc/protos.js';
import { EndpointSelectors, type Balance, type EndpointSelector } from './endpoint-selector.js';

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
}

/**
 * One gRPC client (channel) per stage endpoint for the whole process: every session's
 * streams are multiplexed on it, so no call ever pays for a connection.
 */
export class StageClients {
  readonly #o: StageClientsOptions;
  readonly #clients = new Map<
    string,
    SpeechToTextClient | LanguageModelClient | TextToSpeechClient
  >();
  readonly #selectors = new EndpointSelectors();
  #closed = false;

  constructor(options: StageClientsOptions = {}) {
    this.#o = options;
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

  get<S extends StageName>(stage: S, endpoint: string): ClientOf<S> {
    if (this.#closed) {
      throw new RelayError('RELAY_ERR_CLOSED', 'stage clients are closed');
    }
    const target = this.target(stage, endpoint);
    const key = `${stage}|${target}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      const p = stageProtos();
      const creds = credentials.createInsecure();
      client =
        stage === 'stt'
          ? new p.SpeechToText(target, creds, STAGE_CHANNEL_OPTIONS)
          : stage === 'llm'
            ? new p.LanguageModel(target, creds, STAGE_CHANNEL_OPTIONS)
            : new p.TextToSpeech(target, creds, STAGE_CHANNEL_OPTIONS);
      this.#clients.set(key, client);
    }
    return client as ClientOf<S>;
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
  selector(stage: StageName, endpoints: readonly string[], balance: Balance): EndpointSelector {
    return this.#selectors.get(stage, endpoints, balance);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const c of this.#clients.values()) {
      c.close();
    }
    this.#clients.clear();
  }
}
