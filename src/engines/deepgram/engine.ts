/** Options and counters of one Deepgram live-streaming STT bridge. */
import {
  ProviderEngine,
  ProviderStats,
  type ProviderEngineOptions,
} from '../speech-bridge/provider.js';

export interface DeepgramEngineOptions extends ProviderEngineOptions {
  /** Model when the call names none (`deepgram.model`; default nova-3). */
  model?: string;
  /** KeepAlive after this long without audio (default 4000; Deepgram closes after 10 s). */
  keepAliveMs?: number;
  /** FlushDone at the latest this long after Finalize (default 3000). */
  flushTimeoutMs?: number;
  /** After CloseStream, end the call at the latest this long later (default 5000). */
  closeTimeoutMs?: number;
}

export class DeepgramEngine extends ProviderEngine {
  readonly defaultModel: string;
  readonly timing: { keepAliveMs: number; flushTimeoutMs: number; closeTimeoutMs: number };

  constructor(options: DeepgramEngineOptions = {}) {
    super(
      'deepgram',
      new ProviderStats(),
      { baseUrl: 'wss://api.deepgram.com', apiKeyEnv: 'DEEPGRAM_API_KEY' },
      options,
    );
    this.defaultModel = options.model ?? 'nova-3';
    this.timing = {
      keepAliveMs: options.keepAliveMs ?? 4_000,
      flushTimeoutMs: options.flushTimeoutMs ?? 3_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
    };
  }
}
