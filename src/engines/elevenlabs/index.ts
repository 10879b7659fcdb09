/** TextToSpeech bridge to ElevenLabs input streaming: see README.md in this folder. */
export { ElevenLabsEngine, type ElevenLabsEngineOptions } from './engine.js';
export {
  ELEVENLABS_DEFAULT_PORT,
  elevenLabsService,
  startElevenLabsServer,
  type ElevenLabsServer,
  type ElevenLabsServerOptions,
} from './server.js';
export { elevenLabsSynthesizeHandler, ElevenLabsTtsSession } from './tts-session.js';
