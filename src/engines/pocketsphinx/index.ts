/** pocketsphinx speech-to-text engine: see README.md in this folder. */
export {
  DEBIAN_MODEL_DIR,
  PocketsphinxEngine,
  PocketsphinxStats,
  isPocketsphinxAvailable,
  type DecoderEvents,
  type DecoderInfo,
  type PocketsphinxEngineOptions,
} from './engine.js';
export { HypothesisParser, type DecodedUtterance, type WordTime } from './output-parser.js';
export {
  POCKETSPHINX_DEFAULT_PORT,
  pocketsphinxService,
  startPocketsphinxServer,
  type PocketsphinxServer,
  type PocketsphinxServerOptions,
} from './server.js';
export { ACCEPTED_RATES_HZ, pocketsphinxRecognizeHandler } from './stt-session.js';
