import type {
  LlmStageConfig,
  PipelineConfig,
  TtsStageConfig,
} from '../../config/pipeline-schema.js';
import { RelayError } from '../../errors/errors.js';
import type { ChatTurn } from '../../frames/chat.js';
import type { Metrics } from '../../observability/metrics.js';
import type {
  LlmCall,
  LlmEvent,
  LlmRequest,
  StageCallHandlers,
  StageRoute,
  TtsCall,
  TtsEvent,
  TtsRequest,
  TurnStages,
} from '../../stages/stage-ports.js';
import { moderate } from './moderation.js';
import { maskPii } from './pii.js';

type GuardConfig = PipelineConfig['guard'];

/**
 * The pipeline's guard around its LLM and TTS stages. Before the LLM: PII in every message
 * is masked, and the user's turn is checked against the deny rules and (if configured)
 * the moderation endpoint; a refused turn ends with RELAY_ERR_GUARD_BLOCKED (an `error`
 * event) and no LLM call. Before TTS: reply phrases matching `denyReply` are replaced and
 * PII is masked, so it is never spoken either.
 */
export class GuardedTurnStages implements TurnStages {
  readonly #inner: TurnStages;
  readonly #cfg: GuardConfig;
  readonly #metrics: Metrics;
  readonly #deny: RegExp[];
  readonly #denyReply: RegExp[];

  constructor(inner: TurnStages, cfg: GuardConfig, metrics: Metrics) {
    this.#inner = inner;
    this.#cfg = cfg;
    this.#metrics = metrics;
    this.#deny = cfg.deny.map((r) => new RegExp(r, 'i'));
    this.#denyReply = cfg.denyReply.map((r) => new RegExp(r, 'i'));
  }

  route(stage: 'llm' | 'tts', config: LlmStageConfig | TtsStageConfig): StageRoute {
    return this.#inner.route(stage, config);
  }

  /** A message as the LLM and the audit log may see it. */
  redact(text: string, direction: 'input' | 'reply'): string {
    if (!this.#cfg.redactPii) {
      return text;
    }
    const m = maskPii(text);
    for (const [kind, n] of Object.entries(m.found)) {
      this.#metrics.guardRedactions.inc({ kind, direction }, n);
    }
    return m.text;
  }

  generate(req: LlmRequest, handlers: StageCallHandlers<LlmEvent>): LlmCall {
    const user = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const rule = this.#deny.findIndex((r) => r.test(user));
    if (rule >= 0) {
      return this.#refuse(handlers, 'rule', `the turn matched guard deny rule ${rule}`);
    }
    const messages: ChatTurn[] = req.messages.map((m) =>
      m.role === 'system' ? m : { ...m, content: this.redact(m.content, 'input') },
    );
    const safe = { ...req, messages };
    const mod = this.#cfg.moderation;
    if (mod === undefined) {
      return this.#inner.generate(safe, handlers);
    }
    let call: LlmCall | undefined;
    let cancelled = false;
    const abort = new AbortController();
    void moderate(mod, messages[messages.length - 1]?.content ?? '', abort.signal).then(
      (verdict) => {
        if (cancelled) {
          return;
        }
        if (verdict.kind === 'error') {
          this.#metrics.guardModerationErrors.inc();
        }
        if (verdict.kind === 'flagged' || (verdict.kind === 'error' && mod.onError === 'block')) {
          const why =
            verdict.kind === 'flagged'
              ? `the moderation endpoint flagged the turn (${verdict.categories.join(', ')})`
              : 'the moderation endpoint did not answer';
          this.#refuse(handlers, 'moderation', why);
          return;
        }
        try {
          call = this.#inner.generate(safe, handlers);
        } catch (err) {
          handlers.onDone(err instanceof RelayError ? err : undefined);
        }
      },
    );
    return {
      cancel: () => {
        cancelled = true;
        abort.abort();
        call?.cancel();
      },
    };
  }

  synthesize(req: TtsRequest, handlers: StageCallHandlers<TtsEvent>): TtsCall {
    const call = this.#inner.synthesize(req, handlers);
    return {
      end: () => call.end(),
      cancel: (reason) => call.cancel(reason),
      pause: () => call.pause(),
      resume: () => call.resume(),
      push: (text) => {
        if (this.#denyReply.some((r) => r.test(text))) {
          this.#metrics.guardBlocked.inc({ direction: 'reply', by: 'rule' });
          call.push(this.#cfg.replacement);
          return;
        }
        call.push(this.redact(text, 'reply'));
      },
    };
  }

  #refuse(handlers: StageCallHandlers<LlmEvent>, by: string, why: string): LlmCall {
    this.#metrics.guardBlocked.inc({ direction: 'input', by });
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled) {
        handlers.onDone(new RelayError('RELAY_ERR_GUARD_BLOCKED', why));
      }
    });
    return {
      cancel: () => {
        cancelled = true;
      },
    };
  }
}

/** The pipeline's turn stages behind its guard, when the guard is enabled. */
export function guardStages(
  config: PipelineConfig,
  inner: TurnStages,
  metrics: Metrics,
): TurnStages {
  return config.guard.enabled ? new GuardedTurnStages(inner, config.guard, metrics) : inner;
}
