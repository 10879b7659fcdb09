/** Options and counters of one Cartesia WebSocket TTS bridge. */
import {
  ProviderEngine,
  ProviderStats,
  type ProviderEngineOptions,
} from '../speech-bridge/provider.js';

export interface CartesiaEngineOptions extends ProviderEngineOptions {
  /** Model when the call names none (`cartesia.model_id`; default sonic-3). */
  model?: string;
  /** `Cartesia-Version` header (default 2025-04-16). */
  version?: string;
}

export class CartesiaEngine extends ProviderEngine {
  readonly defaultModel: string;
  readonly version: string;
  #contexts = 0;

  constructor(options: CartesiaEngineOptions = {}) {
    super(
      'cartesia',
      new ProviderStats(),
      { baseUrl: 'wss://api.cartesia.ai', apiKeyEnv: 'CARTESIA_API_KEY' },
      options,
    );
    this.defaultModel = options.model ?? 'sonic-3';
    this.version = options.version ?? '2025-04-16';
  }

  /** A fresh context id for a call. */
  nextContextId(): string {
    return `vr-${process.pid}-${++this.#contexts}`;
  }
}
