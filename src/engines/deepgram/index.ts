/** SpeechToText bridge to Deepgram live streaming: see README.md in this folder. */
export { DeepgramEngine, type DeepgramEngineOptions } from './engine.js';
export {
  DEEPGRAM_DEFAULT_PORT,
  deepgramRecognizeHandler,
  deepgramService,
  startDeepgramServer,
  type DeepgramServer,
  type DeepgramServerOptions,
} from './server.js';
export { DeepgramSttSession } from './stt-session.js';
