/** Options and counters of one OpenAI-compatible LLM bridge. */
import type { BackoffOptions } from '../../core/backoff.js';
import { EngineMonitor, EngineStats } from '../shared/engine-monitor.js';
import { requiresMaxCompletionTokens, type MaxTokensField } from './upstream.js';

export interface OpenAiEngineOptions {
  /** API base URL, up to and including the version (default https://api.openai.com/v1). */
  baseUrl?: string;
  /** Model when the request's params.model is empty (default gpt-4o-mini). */
  model?: string;
  /** Environment variable holding the API key (default OPENAI_API_KEY). No key → no Authorization header. */
  apiKeyEnv?: string;
  /** The key itself (wins over apiKeyEnv; for embedding). Never logged or echoed. */
  apiKey?: string;
  /** No first token within this (from the call's start, retries included) → DEADLINE_EXCEEDED (default 10000). */
  firstTokenTimeoutMs?: number;
  /** Extra attempts before the first token (429, 5xx, connection errors, early stream cuts; default 3). */
  maxRetries?: number;
  /** Backoff between attempts when the upstream sends no Retry-After. */
  backoff?: Partial<BackoffOptions>;
  /** Extra request headers (e.g. OpenAI-Organization). */
  headers?: Record<string, string>;
  /**
   * Field for the token limit: `max_completion_tokens` (OpenAI; required by o-series and
   * gpt-5), `max_tokens` (servers that read only that), or `auto` (default: by model, and
   * switched for the model when the upstream rejects the field sent).
   */
  maxTokensField?: MaxTokensField | 'auto';
}

export interface ResolvedOpenAiOptions {
  baseUrl: string;
  model: string;
  apiKeyEnv: string;
  apiKey: string | undefined;
  firstTokenTimeoutMs: number;
  maxRetries: number;
  backoff: Partial<BackoffOptions>;
  headers: Record<string, string>;
  maxTokensField: MaxTokensField | 'auto';
}

export class OpenAiStats extends EngineStats {
  /** HTTP requests sent upstream (attempts). */
  upstreamRequests = 0;
  /** Attempts repeated after a retryable failure. */
  retries = 0;
}

export class OpenAiEngine {
  readonly options: ResolvedOpenAiOptions;
  readonly monitor = new EngineMonitor('openai', new OpenAiStats());

  constructor(options: OpenAiEngineOptions = {}) {
    const baseUrl = (options.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
    // Validates the URL early (throws TypeError on garbage).
    new URL(`${baseUrl}/chat/completions`);
    this.options = {
      baseUrl,
      model: options.model ?? 'gpt-4o-mini',
      apiKeyEnv: options.apiKeyEnv ?? 'OPENAI_API_KEY',
      apiKey: options.apiKey,
      firstTokenTimeoutMs: options.firstTokenTimeoutMs ?? 10_000,
      maxRetries: options.maxRetries ?? 3,
      backoff: { initialMs: 250, maxMs: 2_000, ...options.backoff },
      headers: options.headers ?? {},
      maxTokensField: options.maxTokensField ?? 'auto',
    };
  }

  /** Token-limit field learned per model from upstream rejections (auto mode). */
  readonly #learned = new Map<string, MaxTokensField>();

  /** The token-limit field to send for `model`. */
  tokensField(model: string): MaxTokensField {
    const o = this.options.maxTokensField;
    if (o !== 'auto') {
      return o;
    }
    return (
      this.#learned.get(model) ??
      (requiresMaxCompletionTokens(model) ? 'max_completion_tokens' : 'max_tokens')
    );
  }

  /** The upstream rejected one field for `model`: use `field` from now on (auto mode only). */
  learnTokensField(model: string, field: MaxTokensField): boolean {
    if (this.options.maxTokensField !== 'auto' || this.#learned.size >= 1_000) {
      return false;
    }
    this.#learned.set(model, field);
    return true;
  }

  get url(): string {
    return `${this.options.baseUrl}/chat/completions`;
  }

  /** The API key now (read from the environment on every request). */
  apiKey(): string | undefined {
    const key = this.options.apiKey ?? process.env[this.options.apiKeyEnv];
    return key === undefined || key === '' ? undefined : key;
  }

  /** `text` with the API key (if it appears) replaced. */
  redact(text: string): string {
    const key = this.apiKey();
    return key === undefined || key.length < 8 ? text : text.split(key).join('[redacted]');
  }
}
