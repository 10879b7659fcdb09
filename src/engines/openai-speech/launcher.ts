import { bridgeLauncher } from '../speech-bridge/launcher.js';
import { OPENAI_SPEECH_DEFAULT_PORT, startOpenAiSpeechServer } from './server.js';

export const openAiSpeechLauncher = bridgeLauncher(
  'openai-speech',
  {
    port: OPENAI_SPEECH_DEFAULT_PORT,
    baseUrl: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY',
    model: 'gpt-4o-mini-tts',
  },
  startOpenAiSpeechServer,
);
