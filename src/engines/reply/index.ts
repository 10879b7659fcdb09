/** Offline rule-based LanguageModel engine: see README.md in this folder. */
export { normalize, parseNumber, replyTo, type Reply, type ReplyContext } from './intents.js';
export {
  ReplyEngine,
  replyGenerateHandler,
  tokenize,
  type ReplyEngineOptions,
} from './reply-engine.js';
export {
  REPLY_DEFAULT_PORT,
  replyService,
  startReplyServer,
  type ReplyServer,
  type ReplyServerOptions,
} from './server.js';
