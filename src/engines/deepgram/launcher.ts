import { bridgeLauncher } from '../speech-bridge/launcher.js';
import { DEEPGRAM_DEFAULT_PORT, startDeepgramServer } from './server.js';

export const deepgramLauncher = bridgeLauncher(
  'deepgram',
  {
    port: DEEPGRAM_DEFAULT_PORT,
    baseUrl: 'wss://api.deepgram.com',
    apiKeyEnv: 'DEEPGRAM_API_KEY',
    model: 'nova-3',
  },
  startDeepgramServer,
);
