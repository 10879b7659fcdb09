/**
 * The HTTP side of the OpenAI-compatible bridge: the request body, upstream
 * errors mapped to gRPC status codes (keeping the provider's message), and
 * Retry-After.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { GenerateRequest__Output } from '../../generated/voicerelay/v1/GenerateRequest.js';
import { chatMessage, toolsField } from './tools.js';

/**
 * The Chat Completions request for a Generate request. `params.extra` entries
 * become top-level fields (values parsed as JSON when they are valid JSON,
 * strings otherwise); the fields set here win over them. max_tokens 0 and
 * top_p 0 mean "not set"; temperature is always sent when params are present.
 */
export function chatCompletionsBody(
  req: GenerateRequest__Output,
  defaultModel: string,
  tokensField: MaxTokensField = 'max_tokens',
): Record<string, unknown> {
  const p = req.params;
  const body: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(p?.extra ?? {})) {
    try {
      body[key] = JSON.parse(raw);
    } catch {
      body[key] = raw;
    }
  }
  body['model'] = p != null && p.model !== '' ? p.model : defaultModel;
  body['messages'] = req.messages.map(chatMessage);
  if (req.tools.length > 0) {
    body['tools'] = toolsField(req.tools);
    body['parallel_tool_calls'] = true;
  }
  body['stream'] = true;
  body['stream_options'] = { include_usage: true };
  if (p != null) {
    body['temperature'] = roundFloat(p.temperature);
    if (p.maxTokens > 0) {
      delete body['max_tokens'];
      delete body['max_completion_tokens'];
      body[tokensField] = p.maxTokens;
    }
    if (p.topP > 0) {
      body['top_p'] = roundFloat(p.topP);
    }
    if (p.stop.length > 0) {
      body['stop'] = p.stop;
    }
  }
  return body;
}

/**
 * Which field carries the token limit. OpenAI deprecated `max_tokens` and its
 * reasoning models (o-series, gpt-5) reject it; some self-hosted servers read
 * only `max_tokens`.
 */
export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

/** Models known to require `max_completion_tokens` (a router's `vendor/` prefix ignored). */
export function requiresMaxCompletionTokens(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model.slice(model.lastIndexOf('/') + 1));
}

/**
 * The other field, when a 400 says the one sent is not supported (OpenAI:
 * "Unsupported parameter: 'max_tokens' ... Use 'max_completion_tokens'
 * instead"; older servers: "Unrecognized request argument supplied:
 * max_completion_tokens"); undefined for any other error.
 */
export function tokensFieldFix(
  sent: MaxTokensField,
  errorBody: string,
): MaxTokensField | undefined {
  const other: MaxTokensField = sent === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
  const text = errorBody.toLowerCase();
  if (sent === 'max_tokens' && text.includes('max_completion_tokens')) {
    return other;
  }
  if (
    sent === 'max_completion_tokens' &&
    text.includes('max_completion_tokens') &&
    /unrecognized|unsupported|unknown|extra (fields|inputs)|not permitted/.test(text)
  ) {
    return other;
  }
  return undefined;
}

/** gRPC status for an error event inside a stream (by its OpenAI code/type). */
export function grpcCodeForStreamError(data: string): GrpcStatus {
  if (/rate_limit|insufficient_quota|tokens_exceeded|overloaded/.test(data)) {
    return GrpcStatus.RESOURCE_EXHAUSTED;
  }
  if (/invalid_request_error|context_length_exceeded/.test(data)) {
    return GrpcStatus.INVALID_ARGUMENT;
  }
  return GrpcStatus.UNAVAILABLE;
}

/** proto floats arrive as float32 (0.7 → 0.699999988): send the short decimal. */
function roundFloat(value: number): number {
  return Number(value.toPrecision(6));
}

/** gRPC status for an upstream HTTP error status. */
export function grpcCodeForHttp(status: number): GrpcStatus {
  if (status === 400 || status === 413 || status === 422) {
    return GrpcStatus.INVALID_ARGUMENT;
  }
  if (status === 401) {
    return GrpcStatus.UNAUTHENTICATED;
  }
  if (status === 403) {
    return GrpcStatus.PERMISSION_DENIED;
  }
  if (status === 404) {
    return GrpcStatus.NOT_FOUND;
  }
  if (status === 408) {
    return GrpcStatus.DEADLINE_EXCEEDED;
  }
  if (status === 409) {
    return GrpcStatus.ABORTED;
  }
  if (status === 429) {
    return GrpcStatus.RESOURCE_EXHAUSTED;
  }
  if (status === 501) {
    return GrpcStatus.UNIMPLEMENTED;
  }
  if (status >= 500) {
    return GrpcStatus.UNAVAILABLE;
  }
  return GrpcStatus.UNKNOWN;
}

/** Statuses worth another attempt (before the first token only). */
export function isRetryableHttp(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/** The provider's error message from an error body (OpenAI's {error:{message}} or text). */
export function providerMessage(body: string): string {
  const text = body.trim();
  try {
    const parsed = JSON.parse(text) as unknown;
    // OpenAI: {error:{message,type,code}}; ElevenLabs: {detail:{status,message}}.
    const err =
      (parsed as { error?: unknown }).error ?? (parsed as { detail?: unknown }).detail ?? parsed;
    if (typeof err === 'string') {
      return err;
    }
    if (err !== null && typeof err === 'object') {
      const e = err as { message?: unknown; code?: unknown; type?: unknown; status?: unknown };
      if (typeof e.message === 'string') {
        const tag = [e.type, e.code, e.status]
          .filter((t) => typeof t === 'string' && t !== '')
          .join('/');
        return tag === '' ? e.message : `${e.message} (${tag})`;
      }
    }
  } catch {
    // not JSON
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Delay asked for by Retry-After / retry-after-ms, in ms (undefined when absent or invalid). */
export function retryAfterMs(headers: Headers, nowEpochMs = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) {
    return Math.max(0, Number(ms));
  }
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') {
    return undefined;
  }
  if (/^\d+(\.\d+)?$/.test(value.trim())) {
    return Number(value) * 1000;
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowEpochMs);
}

/** A failure with the gRPC status the call should end with. */
export class UpstreamError extends Error {
  readonly code: GrpcStatus;
  /** Another attempt may succeed (when no token was sent yet). */
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    code: GrpcStatus,
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number | undefined } = {},
  ) {
    super(message);
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Describe a fetch/stream failure: the error and its causes (e.g. "fetch failed: ECONNREFUSED"). */
export function describeNetworkError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e !== undefined && e !== null; i++) {
    if (e instanceof Error) {
      const code = (e as NodeJS.ErrnoException).code;
      parts.push(
        code !== undefined && !e.message.includes(code) ? `${e.message} (${code})` : e.message,
      );
      e = e.cause;
    } else {
      parts.push(typeof e === 'string' ? e : JSON.stringify(e));
      break;
    }
  }
  return parts.join(': ');
}
