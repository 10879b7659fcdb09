/** espeak-ng text-to-speech engine: see README.md in this folder. */
export {
  ESPEAK_DEFAULTS,
  EspeakEngine,
  EspeakStats,
  isEspeakAvailable,
  type EspeakEngineOptions,
  type EspeakProcessEvents,
  type EspeakProcessInfo,
} from './engine.js';
export { PhraseSplitter, type Phrase } from './phrases.js';
export {
  ESPEAK_DEFAULT_PORT,
  espeakService,
  startEspeakServer,
  type EspeakServer,
  type EspeakServerOptions,
} from './server.js';
export { espeakSynthesizeHandler } from './tts-session.js';
