/**
 * LanguageModel.Generate with deterministic rule-based replies (intents.ts),
 * streamed word by word with realistic pacing: the first delta firstTokenMs
 * after the request, each next one interTokenMs later (absolute schedule),
 * then Usage and FinishReason. params.max_tokens > 0 truncates (LENGTH).
 */
import type { handleServerStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { GenerateRequest__Output } from '../../generated/voicerelay/v1/GenerateRequest.js';
import type { GenerateResponse } from '../../generated/voicerelay/v1/GenerateResponse.js';
import { EngineCall } from '../shared/engine-call.js';
import { EngineMonitor, EngineStats } from '../shared/engine-monitor.js';
import { replyTo, type Reply } from './intents.js';

export interface ReplyEngineOptions {
  /** Request → first delta (default 20 ms). */
  firstTokenMs?: number;
  /** Between deltas (default 30 ms). */
  interTokenMs?: number;
  /** IANA time zone for time and date answers (default: the process's). */
  timeZone?: string;
  /** Clock for time and date answers (default: the system clock). */
  now?: () => Date;
}

export class ReplyEngine {
  readonly firstTokenMs: number;
  readonly interTokenMs: number;
  readonly monitor = new EngineMonitor('reply', new EngineStats());
  readonly #timeZone: string | undefined;
  readonly #now: () => Date;

  constructor(options: ReplyEngineOptions = {}) {
    this.firstTokenMs = options.firstTokenMs ?? 20;
    this.interTokenMs = options.interTokenMs ?? 30;
    for (const [name, v] of [
      ['firstTokenMs', this.firstTokenMs],
      ['interTokenMs', this.interTokenMs],
    ] as const) {
      if (!(Number.isFinite(v) && v >= 0 && v <= 60_000)) {
        throw new RangeError(`${name} must be 0..60000, got ${v}`);
      }
    }
    this.#timeZone = options.timeZone;
    this.#now = options.now ?? (() => new Date());
  }

  /** The reply to a conversation: to its last USER message. */
  replyFor(req: Pick<GenerateRequest__Output, 'messages'>): Reply {
    const users = req.messages.filter((m) => m.role === 'USER');
    const last = users[users.length - 1]?.content ?? '';
    return replyTo(last, { now: this.#now(), timeZone: this.#timeZone });
  }
}

/** Words with their leading whitespace. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** The Generate handler of the offline reply engine (for embedding in any gRPC server). */
export function replyGenerateHandler(
  engine: ReplyEngine,
): handleServerStreamingCall<GenerateRequest__Output, GenerateResponse> {
  return (raw) => {
    const receivedAtMs = nowMs();
    const req = raw.request;
    const call = new EngineCall('Generate', raw, engine.monitor);
    call.identify(req.requestId);
    const all = tokenize(engine.replyFor(req).text);
    const maxTokens = req.params?.maxTokens ?? 0;
    const tokens = maxTokens > 0 ? all.slice(0, maxTokens) : all;
    const promptTokens = req.messages.reduce((n, m) => n + countWords(m.content), 0);
    const send = (response: Omit<GenerateResponse, 'requestId' | 'turnId' | 'serverTsMs'>) =>
      call.send({ ...response, requestId: req.requestId, turnId: req.turnId, serverTsMs: nowMs() });
    let timer: NodeJS.Timeout | undefined;
    call.onClose(() => clearTimeout(timer));
    const step = (i: number): void => {
      if (call.closed) {
        return;
      }
      const token = tokens[i];
      if (token !== undefined) {
        send({ delta: { text: token, index: i } });
      }
      if (i + 1 < tokens.length) {
        const due = receivedAtMs + engine.firstTokenMs + (i + 1) * engine.interTokenMs;
        timer = setTimeout(() => step(i + 1), Math.max(0, due - nowMs()));
        return;
      }
      send({ usage: { promptTokens, completionTokens: tokens.length } });
      send({ finish: tokens.length < all.length ? 'LENGTH' : 'STOP' });
      call.finish();
    };
    timer = setTimeout(() => step(0), engine.firstTokenMs);
  };
}
