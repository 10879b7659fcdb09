import { bridgeLauncher } from '../speech-bridge/launcher.js';
import { OPENAI_STT_DEFAULT_PORT, startOpenAiSttServer } from './server.js';

export const openAiSttLauncher = bridgeLauncher(
  'openai-stt',
  {
    port: OPENAI_STT_DEFAULT_PORT,
    baseUrl: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY',
    model: 'gpt-4o-mini-transcribe',
  },
  startOpenAiSttServer,
);
