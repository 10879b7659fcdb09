import { bridgeLauncher } from '../speech-bridge/launcher.js';
import { CARTESIA_DEFAULT_PORT, startCartesiaServer } from './server.js';

export const cartesiaLauncher = bridgeLauncher(
  'cartesia',
  {
    port: CARTESIA_DEFAULT_PORT,
    baseUrl: 'wss://api.cartesia.ai',
    apiKeyEnv: 'CARTESIA_API_KEY',
    model: 'sonic-3',
  },
  startCartesiaServer,
);
