/** LanguageModel bridge to OpenAI-compatible Chat Completions: see README.md in this folder. */
export {
  OpenAiEngine,
  OpenAiStats,
  type OpenAiEngineOptions,
  type ResolvedOpenAiOptions,
} from './engine.js';
export { OpenAiGeneration, openAiGenerateHandler } from './generate.js';
export {
  OPENAI_DEFAULT_PORT,
  openAiService,
  startOpenAiServer,
  type OpenAiServer,
  type OpenAiServerOptions,
} from './server.js';
export { SseParser } from './sse.js';
export {
  chatCompletionsBody,
  grpcCodeForHttp,
  isRetryableHttp,
  providerMessage,
  retryAfterMs,
  UpstreamError,
} from './upstream.js';
