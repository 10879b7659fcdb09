/** Options and counters of one ElevenLabs input-streaming TTS bridge. */
import {
  ProviderEngine,
  ProviderStats,
  type ProviderEngineOptions,
} from '../speech-bridge/provider.js';

export interface ElevenLabsEngineOptions extends ProviderEngineOptions {
  /** Model when the call names none (`elevenlabs.model_id`; default eleven_flash_v2_5). */
  model?: string;
}

export class ElevenLabsEngine extends ProviderEngine {
  readonly defaultModel: string;

  constructor(options: ElevenLabsEngineOptions = {}) {
    super(
      'elevenlabs',
      new ProviderStats(),
      { baseUrl: 'wss://api.elevenlabs.io', apiKeyEnv: 'ELEVENLABS_API_KEY' },
      options,
    );
    this.defaultModel = options.model ?? 'eleven_flash_v2_5';
  }
}
