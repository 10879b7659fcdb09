/** Options and counters of one OpenAI-compatible speech (TTS) bridge. */
import {
  ProviderEngine,
  ProviderStats,
  type ProviderEngineOptions,
} from '../speech-bridge/provider.js';

export interface OpenAiSpeechEngineOptions extends ProviderEngineOptions {
  /** Model when the call names none (`openai-speech.model`; default gpt-4o-mini-tts). */
  model?: string;
  /** Voice when the stage names none (default alloy). */
  voice?: string;
}

export class OpenAiSpeechEngine extends ProviderEngine {
  readonly defaultModel: string;
  readonly defaultVoice: string;

  constructor(options: OpenAiSpeechEngineOptions = {}) {
    super(
      'openai-speech',
      new ProviderStats(),
      { baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' },
      // Each phrase's whole response must come within this timeout.
      { connectTimeoutMs: 30_000, ...options },
    );
    this.defaultModel = options.model ?? 'gpt-4o-mini-tts';
    this.defaultVoice = options.voice ?? 'alloy';
  }
}
