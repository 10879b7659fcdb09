import type { LlmStageConfig, TtsStageConfig } from '../config/pipeline-schema.js';
import type { ServerEvent } from '../frames/events.js';
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
} from '../stages/stage-ports.js';
import { maskPii } from '../pipeline/guard/pii.js';
import type { AuditLog } from './audit-log.js';

interface TurnRecord {
  turnId: string;
  transcript?: string;
  messages?: { role: string; content: string }[];
  reply?: string;
  heard?: string;
  endpoints: { llm: string[]; tts: string[] };
  outcome?: string;
  error?: { code: string; message: string };
  budgetEvents: { stage: string; budgetMs: number; elapsedMs: number; action: string }[];
}

/**
 * The audit trail of one session: what the LLM was sent (after the guard, so masked),
 * the endpoints each stage used, the reply, what was heard, tokens, timings and budget
 * events; one record per turn, written when the turn's `turn.metrics` goes out. Texts
 * pass through `redact` (the guard's PII masking, or none).
 */
export class TurnAudit {
  readonly #log: AuditLog;
  readonly #meta: { sessionId: string; pipeline: string; tenant?: string | undefined };
  readonly #redact: (text: string) => string;
  readonly #turns = new Map<string, TurnRecord>();

  constructor(
    log: AuditLog,
    meta: { sessionId: string; pipeline: string; tenant?: string | undefined },
    redact: (text: string) => string = (t) => t,
  ) {
    this.#log = log;
    this.#meta = meta;
    this.#redact = redact;
  }

  #turn(turnId: string): TurnRecord {
    let t = this.#turns.get(turnId);
    if (t === undefined) {
      t = { turnId, endpoints: { llm: [], tts: [] }, budgetEvents: [] };
      this.#turns.set(turnId, t);
    }
    return t;
  }

  /** The session's turn stages, recording each call's request and endpoint. */
  stages(inner: TurnStages): TurnStages {
    return {
      route: (stage: 'llm' | 'tts', config: LlmStageConfig | TtsStageConfig): StageRoute =>
        inner.route(stage, config),
      generate: (req: LlmRequest, handlers: StageCallHandlers<LlmEvent>): LlmCall => {
        const t = this.#turn(req.turnId);
        t.messages = req.messages.map((m) => ({ role: m.role, content: m.content }));
        t.endpoints.llm.push(req.endpoint);
        return inner.generate(req, handlers);
      },
      synthesize: (req: TtsRequest, handlers: StageCallHandlers<TtsEvent>): TtsCall => {
        this.#turn(req.turnId).endpoints.tts.push(req.endpoint);
        return inner.synthesize(req, handlers);
      },
    };
  }

  /** Every event the session sends its client. */
  onEvent(ev: ServerEvent): void {
    switch (ev.type) {
      case 'transcript.final':
        if (ev.turnId !== undefined) {
          this.#turn(ev.turnId).transcript = this.#redact(ev.text);
        }
        return;
      case 'response.done':
        Object.assign(this.#turn(ev.turnId), {
          reply: this.#redact(ev.text),
          heard: this.#redact(ev.heardText),
          outcome: 'done',
        });
        return;
      case 'response.interrupted':
        Object.assign(this.#turn(ev.turnId), {
          heard: this.#redact(ev.heardText),
          outcome: 'interrupted',
        });
        return;
      case 'budget.exceeded':
        this.#turn(ev.turnId).budgetEvents.push({
          stage: ev.stage,
          budgetMs: ev.budgetMs,
          elapsedMs: ev.elapsedMs,
          action: ev.action,
        });
        return;
      case 'error':
        if (ev.turnId !== undefined) {
          Object.assign(this.#turn(ev.turnId), {
            error: { code: ev.code, message: ev.message },
            outcome: 'failed',
          });
        }
        return;
      case 'turn.metrics': {
        const { turnId } = ev;
        const metrics: Partial<typeof ev> = { ...ev };
        delete metrics.type;
        const t = this.#turn(turnId);
        this.#turns.delete(turnId);
        this.#log.append({
          ts: new Date().toISOString(),
          ...this.#meta,
          ...t,
          tokens: { prompt: ev.promptTokens, completion: ev.completionTokens },
          timings: metrics,
        });
        return;
      }
      default:
        return;
    }
  }
}

/** A session's audit trail when the relay keeps an audit log (texts masked if the guard masks). */
export function auditFor(
  log: AuditLog | undefined,
  sessionId: string,
  config: { name: string; guard: { enabled: boolean; redactPii: boolean } },
): TurnAudit | undefined {
  if (log === undefined) {
    return undefined;
  }
  const mask = config.guard.enabled && config.guard.redactPii;
  return new TurnAudit(log, { sessionId, pipeline: config.name }, (t) =>
    mask ? maskPii(t).text : t,
  );
}
