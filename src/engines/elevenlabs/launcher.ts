import { bridgeLauncher } from '../speech-bridge/launcher.js';
import { ELEVENLABS_DEFAULT_PORT, startElevenLabsServer } from './server.js';

export const elevenLabsLauncher = bridgeLauncher(
  'elevenlabs',
  {
    port: ELEVENLABS_DEFAULT_PORT,
    baseUrl: 'wss://api.elevenlabs.io',
    apiKeyEnv: 'ELEVENLABS_API_KEY',
    model: 'eleven_flash_v2_5',
  },
  startElevenLabsServer,
);
