/** Options and counters of one OpenAI-compatible transcription (STT) bridge. */
import {
  ProviderEngine,
  ProviderStats,
  type ProviderEngineOptions,
} from '../speech-bridge/provider.js';

export interface OpenAiSttEngineOptions extends ProviderEngineOptions {
  /** Model when the call names none (`openai-stt.model`; default gpt-4o-mini-transcribe). */
  model?: string;
}

export class OpenAiSttStats extends ProviderStats {
  /** Speech segments cut by the VAD (or a Flush) and sent for transcription. */
  segments = 0;
}

export class OpenAiSttEngine extends ProviderEngine<OpenAiSttStats> {
  readonly defaultModel: string;

  constructor(options: OpenAiSttEngineOptions = {}) {
    super(
      'openai-stt',
      new OpenAiSttStats(),
      { baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' },
      // A segment's whole transcription must come within this timeout.
      { connectTimeoutMs: 30_000, ...options },
    );
    this.defaultModel = options.model ?? 'gpt-4o-mini-transcribe';
  }
}
