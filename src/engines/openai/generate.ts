/**
 * LanguageModel.Generate bridged to an OpenAI-compatible Chat Completions
 * endpoint: POST {baseUrl}/chat/completions with stream: true, SSE parsed as
 * it arrives; each choices[0].delta.content → TextDelta, then Usage and
 * FinishReason once the stream completed ([DONE]).
 *
 * Retries (with backoff, honouring Retry-After / retry-after-ms) happen only
 * while no delta has been sent: 408, 429, 5xx, connection errors and streams
 * cut before the first token. A first-token timeout covers all attempts.
 * Cancelling the gRPC call aborts the HTTP request. Connections are pooled by
 * Node's fetch (undici keep-alive); after [DONE] the rest of the response is
 * drained so the connection can be reused.
 */
import { status as GrpcStatus, type handleServerStreamingCall } from '@grpc/grpc-js';
import { Backoff, delay } from '../../core/backoff.js';
import { nowMs } from '../../core/clock.js';
import type { FinishReason } from '../../generated/voicerelay/v1/FinishReason.js';
import type { GenerateRequest__Output } from '../../generated/voicerelay/v1/GenerateRequest.js';
import type { GenerateResponse } from '../../generated/voicerelay/v1/GenerateResponse.js';
import { EngineCall } from '../shared/engine-call.js';
import type { OpenAiEngine } from './engine.js';
import { SseParser } from './sse.js';
import { ToolCallFragments } from './tools.js';
import {
  chatCompletionsBody,
  describeNetworkError,
  grpcCodeForHttp,
  grpcCodeForStreamError,
  isRetryableHttp,
  providerMessage,
  retryAfterMs,
  tokensFieldFix,
  UpstreamError,
} from './upstream.js';

type LlmCall = EngineCall<GenerateRequest__Output, GenerateResponse>;

const FINISH: Readonly<Record<string, FinishReason>> = {
  stop: 'STOP',
  length: 'LENGTH',
  content_filter: 'CONTENT_FILTER',
  tool_calls: 'TOOL_CALLS',
  function_call: 'STOP',
};
const DRAIN_AFTER_DONE_MS = 2_000;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class OpenAiGeneration {
  readonly #call: LlmCall;
  readonly #req: GenerateRequest__Output;
  readonly #engine: OpenAiEngine;
  readonly #startedAtMs = nowMs();
  readonly #firstToken = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #deltas = 0;
  readonly #toolCalls = new ToolCallFragments();
  #usage: { promptTokens: number; completionTokens: number } | undefined;
  #finish: FinishReason | undefined;
  #succeeded = false;

  constructor(call: LlmCall, req: GenerateRequest__Output, engine: OpenAiEngine) {
    this.#call = call;
    this.#req = req;
    this.#engine = engine;
  }

  async run(): Promise<void> {
    const o = this.#engine.options;
    this.#timer = setTimeout(() => {
      this.#firstToken.abort(
        new UpstreamError(
          GrpcStatus.DEADLINE_EXCEEDED,
          `no first token from ${this.#engine.url} within ${o.firstTokenTimeoutMs} ms`,
        ),
      );
    }, o.firstTokenTimeoutMs);
    this.#call.onClose(() => clearTimeout(this.#timer));
    const backoff = new Backoff(o.backoff);
    for (let attempt = 1; ; attempt++) {
      const abort = new AbortController();
      const onAbort = (): void => {
        if (!this.#succeeded) {
          abort.abort();
        }
      };
      this.#call.signal.addEventListener('abort', onAbort, { once: true });
      this.#firstToken.signal.addEventListener('abort', onAbort, { once: true });
      let error: UpstreamError;
      try {
        await this.#attempt(abort.signal);
        return;
      } catch (err) {
        if (this.#call.closed) {
          return;
        }
        error = this.#classify(err);
      } finally {
        this.#call.signal.removeEventListener('abort', onAbort);
        this.#firstToken.signal.removeEventListener('abort', onAbort);
      }
      const retry =
        error.retryable &&
        this.#deltas === 0 &&
        attempt <= o.maxRetries &&
        !this.#firstToken.signal.aborted;
      if (!retry) {
        this.#call.fail(error.code, this.#engine.redact(error.message));
        return;
      }
      const waitMs = error.retryAfterMs ?? backoff.nextDelayMs();
      const leftMs = this.#startedAtMs + o.firstTokenTimeoutMs - nowMs();
      if (waitMs >= leftMs) {
        this.#call.fail(
          error.code,
          this.#engine.redact(
            `${error.message} (retry in ${Math.round(waitMs)} ms exceeds the first-token timeout)`,
          ),
        );
        return;
      }
      this.#engine.monitor.stats.retries++;
      try {
        await delay(waitMs, AbortSignal.any([this.#call.signal, this.#firstToken.signal]));
      } catch {
        if (!this.#call.closed) {
          const reason: unknown = this.#firstToken.signal.reason;
          const timeout = reason instanceof UpstreamError ? reason : error;
          this.#call.fail(timeout.code, timeout.message);
        }
        return;
      }
    }
  }

  async #attempt(signal: AbortSignal): Promise<void> {
    const key = this.#engine.apiKey();
    const headers: Record<string, string> = {
      ...this.#engine.options.headers,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    };
    if (key !== undefined) {
      headers['authorization'] = `Bearer ${key}`;
    }
    this.#engine.monitor.stats.upstreamRequests++;
    const model = this.#model();
    const field = this.#engine.tokensField(model);
    const res = await fetch(this.#engine.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(chatCompletionsBody(this.#req, this.#engine.options.model, field)),
      signal,
    });
    if (!res.ok) {
      const text = await readText(res, MAX_ERROR_BODY_BYTES);
      const reason = res.statusText === '' ? '' : ` ${res.statusText}`;
      const fix = res.status === 400 ? tokensFieldFix(field, text) : undefined;
      if (fix !== undefined && this.#engine.learnTokensField(model, fix)) {
        // The model wants the other token-limit field: ask again at once, with it.
        throw new UpstreamError(GrpcStatus.INVALID_ARGUMENT, providerMessage(text), {
          retryable: true,
          retryAfterMs: 0,
        });
      }
      throw new UpstreamError(
        grpcCodeForHttp(res.status),
        `upstream HTTP ${res.status}${reason}: ${providerMessage(text)}`,
        { retryable: isRetryableHttp(res.status), retryAfterMs: retryAfterMs(res.headers) },
      );
    }
    if (res.body === null) {
      throw new UpstreamError(GrpcStatus.UNAVAILABLE, 'upstream sent no body', { retryable: true });
    }
    const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let done = false;
    try {
      while (!done) {
        const { value, done: ended } = await reader.read();
        const events = ended ? parser.end() : parser.push(decoder.decode(value, { stream: true }));
        for (const data of events) {
          done = this.#onEvent(data) || done;
        }
        if (ended) {
          break;
        }
      }
    } catch (err) {
      if (err instanceof UpstreamError || signal.aborted) {
        throw err;
      }
      throw this.#cut(describeNetworkError(err));
    }
    if (!done && this.#finish === undefined) {
      throw this.#cut('the response ended without [DONE]');
    }
    this.#succeeded = true;
    if (this.#usage !== undefined) {
      this.#send({ usage: this.#usage });
    }
    this.#send({ finish: this.#finish ?? 'STOP' });
    this.#call.finish();
    if (done) {
      void drain(reader);
    }
  }

  #model(): string {
    const p = this.#req.params;
    return p != null && p.model !== '' ? p.model : this.#engine.options.model;
  }

  /** One SSE event's data; true for [DONE]. */
  #onEvent(data: string): boolean {
    if (data.trim() === '[DONE]') {
      return true;
    }
    let chunk: {
      error?: unknown;
      choices?: { delta?: { content?: unknown; tool_calls?: unknown }; finish_reason?: unknown }[];
      usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
    };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      throw new UpstreamError(
        GrpcStatus.INTERNAL,
        `upstream sent an invalid stream event: ${data.slice(0, 200)}`,
      );
    }
    if (chunk.error !== undefined && chunk.error !== null) {
      const code = grpcCodeForStreamError(data);
      throw new UpstreamError(code, `upstream error in the stream: ${providerMessage(data)}`, {
        retryable: code !== GrpcStatus.INVALID_ARGUMENT,
      });
    }
    const choice = chunk.choices?.[0];
    const content = choice?.delta?.content;
    if (typeof content === 'string' && content !== '') {
      if (this.#deltas === 0) {
        clearTimeout(this.#timer);
      }
      this.#send({ delta: { text: content, index: this.#deltas++ } });
    }
    for (const toolCall of this.#toolCalls.map(choice?.delta?.tool_calls)) {
      if (this.#deltas === 0) {
        clearTimeout(this.#timer);
      }
      this.#deltas++;
      this.#send({ toolCall });
    }
    if (typeof choice?.finish_reason === 'string') {
      this.#finish = FINISH[choice.finish_reason] ?? 'FINISH_REASON_UNSPECIFIED';
    }
    const usage = chunk.usage;
    if (usage !== undefined && usage !== null) {
      this.#usage = {
        promptTokens: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
        completionTokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
      };
    }
    return false;
  }

  #cut(why: string): UpstreamError {
    return new UpstreamError(
      GrpcStatus.UNAVAILABLE,
      `upstream stream was cut after ${this.#deltas} deltas: ${why}`,
      { retryable: true },
    );
  }

  #classify(err: unknown): UpstreamError {
    const reason: unknown = this.#firstToken.signal.reason;
    if (this.#firstToken.signal.aborted && reason instanceof UpstreamError) {
      return reason;
    }
    if (err instanceof UpstreamError) {
      return err;
    }
    return new UpstreamError(
      GrpcStatus.UNAVAILABLE,
      `cannot reach ${this.#engine.url}: ${describeNetworkError(err)}`,
      { retryable: true },
    );
  }

  #send(response: Omit<GenerateResponse, 'requestId' | 'turnId' | 'serverTsMs'>): void {
    this.#call.send({
      ...response,
      requestId: this.#req.requestId,
      turnId: this.#req.turnId,
      serverTsMs: nowMs(),
    });
  }
}

/** The body as text, at most `max` bytes. */
async function readText(res: Response, max: number): Promise<string> {
  if (res.body === null) {
    return '';
  }
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return text + decoder.decode();
    }
    bytes += value.length;
    text += decoder.decode(value, { stream: true });
    if (bytes >= max) {
      await reader.cancel();
      return text;
    }
  }
}

/** Read what follows [DONE] (normally just the end) so the connection returns to the pool. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), DRAIN_AFTER_DONE_MS);
  try {
    while (!(await reader.read()).done) {
      // discard
    }
  } catch {
    // cancelled or cut: the connection is not reused
  } finally {
    clearTimeout(timer);
  }
}

/** The Generate handler of an OpenAI-compatible bridge (for embedding in any gRPC server). */
export function openAiGenerateHandler(
  engine: OpenAiEngine,
): handleServerStreamingCall<GenerateRequest__Output, GenerateResponse> {
  return (call) => {
    const ec = new EngineCall('Generate', call, engine.monitor);
    ec.identify(call.request.requestId);
    void new OpenAiGeneration(ec, call.request, engine).run();
  };
}
