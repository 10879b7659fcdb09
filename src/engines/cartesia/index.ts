/** TextToSpeech bridge to Cartesia's TTS WebSocket: see the engine table in the README. */
export { CartesiaEngine, type CartesiaEngineOptions } from './engine.js';
export {
  CARTESIA_DEFAULT_PORT,
  cartesiaService,
  startCartesiaServer,
  type CartesiaServer,
  type CartesiaServerOptions,
} from './server.js';
export { cartesiaSynthesizeHandler, CartesiaTtsSession } from './tts-session.js';
