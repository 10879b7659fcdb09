import { credentials, Metadata } from '@grpc/grpc-js';
import type { SpeechToTextClient } from '../generated/voicerelay/v1/SpeechToText.js';
import type { LanguageModelClient } from '../generated/voicerelay/v1/LanguageModel.js';
import type { TextToSpeechClient } from '../generated/voicerelay/v1/TextToSpeech.js';
import type { StageName } from '../frames/events.js';
import { RelayError } from '../errors/errors.js';
import { STAGE_CHANNEL_OPTIONS } from '../grpc/channel.js';
import { stageProtos } from '../grpc/protos.js';

export const EMBEDDED_ENDPOINT = 'embedded';
/** Metadata key carrying a per-call latency profile to the simulated engines. */
export const SIM_PROFILE_METADATA = 'x-sim-profile';

type ClientOf<S extends StageName> = S extends 'stt'
  ? SpeechToTextClient
  : S extends 'llm'
    ? LanguageModelClient
    : TextToSpeechClient;

export interface StageClientsOptions {
  /** gRPC targets of the process's embedded engines, per stage. */
  embedded?: Partial<Record<StageName, string>>;
}

/**
 * One gRPC client (channel) per stage endpoint for the whole process: every session's
 * streams are multiplexed on it, so no call ever pays for a connection.
 */
export class StageClients {
  readonly #embedded: Partial<Record<StageName, string>>;
  readonly #clients = new Map<
    string,
    SpeechToTextClient | LanguageModelClient | TextToSpeechClient
  >();
  #closed = false;

  constructor(options: StageClientsOptions = {}) {
    this.#embedded = { ...options.embedded };
  }

  /** The gRPC target an endpoint string names. */
  target(stage: StageName, endpoint: string): string {
    if (endpoint !== EMBEDDED_ENDPOINT) {
      return endpoint;
    }
    const t = this.#embedded[stage];
    if (t === undefined) {
      throw new RelayError(
        'RELAY_ERR_STAGE_UNAVAILABLE',
        `${stage} stage: endpoint "embedded" but this process runs no embedded ${stage} engine`,
      );
    }
    return t;
  }

  isEmbedded(endpoint: string): boolean {
    return endpoint === EMBEDDED_ENDPOINT;
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

  /** Call metadata: the sim profile travels only to embedded engines. */
  metadata(endpoint: string, sim: Record<string, unknown> | undefined): Metadata {
    const md = new Metadata();
    if (sim !== undefined && endpoint === EMBEDDED_ENDPOINT) {
      md.set(SIM_PROFILE_METADATA, JSON.stringify(sim));
    }
    return md;
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

/** Picks endpoints for a stage: failover order, or round-robin across calls. */
export class EndpointSelector {
  readonly #endpoints: readonly string[];
  readonly #roundRobin: boolean;
  #next = 0;

  constructor(endpoints: readonly string[], balance: 'failover' | 'round-robin') {
    this.#endpoints = endpoints;
    this.#roundRobin = balance === 'round-robin';
  }

  get count(): number {
    return this.#endpoints.length;
  }

  /** The endpoint for a call's `attempt`-th try (0 = first). */
  pick(attempt: number): string {
    const base = this.#roundRobin && attempt === 0 ? this.#next++ : 0;
    const i = (base + attempt) % this.#endpoints.length;
    return this.#endpoints[i] ?? this.#endpoints[0] ?? EMBEDDED_ENDPOINT;
  }
}
