import type { TenantQuota } from '../config/quota-schema.js';
import { RelayError } from '../errors/index.js';
import { FRAME_MS } from '../frames/frames.js';
import type {
  LlmCall,
  LlmEvent,
  LlmRequest,
  StageCallHandlers,
  TtsCall,
  TtsEvent,
  TtsRequest,
  TurnStages,
} from '../stages/stage-ports.js';
import { quotaError, type QuotaService } from './quota-service.js';

export interface SessionQuotaOptions {
  service: QuotaService;
  tenant: string;
  action: TenantQuota['action'];
  /** End the session (action `end-session`); called at most once, never synchronously. */
  end(err: RelayError): void;
}

/**
 * The quota meter of one session. Counts LLM tokens (the engine's usage report, at the
 * end of each generation), TTS characters (per synthesis, when it ends) and STT audio
 * seconds (whole seconds, at each final transcript and at the end); nothing per frame.
 * Enforcement happens where a turn starts: `admit` (the known state) and the turn's
 * first LLM call (a fresh read). A turn already running is never cut.
 */
export class SessionQuota {
  readonly #o: SessionQuotaOptions;
  /** STT audio counted so far (ms) and the frames it came from. */
  #sttMsCounted = 0;
  #ended = false;
  #checkedTurn = '';

  constructor(options: SessionQuotaOptions) {
    this.#o = options;
  }

  /** Before a new turn: undefined to go on, else the refusal (the session may end). */
  admit(): RelayError | undefined {
    const e = this.#o.service.exceeded(this.#o.tenant);
    return e === undefined ? undefined : this.#refuse(e);
  }

  /** Whether a turn would be refused now (no side effects; e.g. before a preemptive turn). */
  get refusing(): boolean {
    return this.#o.service.exceeded(this.#o.tenant) !== undefined;
  }

  #refuse(e: NonNullable<ReturnType<QuotaService['exceeded']>>): RelayError {
    const err = quotaError(this.#o.tenant, e);
    this.#o.service.refused(this.#o.tenant, e, this.#o.action);
    if (this.#o.action === 'end-session' && !this.#ended) {
      this.#ended = true;
      queueMicrotask(() => this.#o.end(err));
    }
    return err;
  }

  /** The session's STT stream has taken `frames` frames in all: count the whole seconds. */
  sttFrames(frames: number, final = false): void {
    const ms = frames * FRAME_MS - this.#sttMsCounted;
    const seconds = final ? Math.round(ms / 1000) : Math.floor(ms / 1000);
    if (seconds > 0) {
      this.#sttMsCounted += seconds * 1000;
      void this.#o.service.count(this.#o.tenant, { stt_seconds: seconds });
    }
  }

  /** The session ended: count its last STT audio; the tenant loses a session. */
  close(frames: number): void {
    this.sttFrames(frames, true);
    this.#o.service.released(this.#o.tenant);
  }

  /** `inner`, counting what the turns use and refusing a turn's first LLM call at a limit. */
  stages(inner: TurnStages): TurnStages {
    return {
      route: (stage, config) => inner.route(stage, config),
      generate: (req, handlers) => this.#generate(inner, req, handlers),
      synthesize: (req, handlers) => this.#synthesize(inner, req, handlers),
    };
  }

  #generate(inner: TurnStages, req: LlmRequest, handlers: StageCallHandlers<LlmEvent>): LlmCall {
    const counted: StageCallHandlers<LlmEvent> = {
      onEvent: (ev) => {
        if (ev.kind === 'usage') {
          void this.#o.service.count(this.#o.tenant, {
            llm_tokens: ev.promptTokens + ev.completionTokens,
          });
        }
        handlers.onEvent(ev);
      },
      onDone: (err) => handlers.onDone(err),
      onServedBy: (endpoint) => handlers.onServedBy?.(endpoint),
    };
    if (req.turnId === this.#checkedTurn) {
      // A retry, hedge or tool round of a turn that was let through: never cut.
      return inner.generate(req, counted);
    }
    this.#checkedTurn = req.turnId;
    // The turn's first call: read the fleet totals first (one store round trip).
    let call: LlmCall | undefined;
    let cancelled = false;
    this.#o.service.count(this.#o.tenant, {}).then(
      (e) => {
        if (cancelled) {
          return;
        }
        if (e !== undefined) {
          handlers.onDone(this.#refuse(e));
          return;
        }
        try {
          call = inner.generate(req, counted);
        } catch (err) {
          handlers.onDone(
            err instanceof RelayError ? err : new RelayError('RELAY_ERR_STAGE_FAILED', String(err)),
          );
        }
      },
      () => undefined,
    );
    return {
      cancel: () => {
        cancelled = true;
        call?.cancel();
      },
    };
  }

  #synthesize(inner: TurnStages, req: TtsRequest, handlers: StageCallHandlers<TtsEvent>): TtsCall {
    const call = inner.synthesize(req, handlers);
    let chars = 0;
    let counted = false;
    const flush = (): void => {
      if (!counted && chars > 0) {
        counted = true;
        void this.#o.service.count(this.#o.tenant, { tts_chars: chars });
      }
    };
    return {
      push: (text) => {
        chars += text.length;
        call.push(text);
      },
      end: () => {
        flush();
        call.end();
      },
      cancel: (reason) => {
        flush();
        call.cancel(reason);
      },
      pause: () => call.pause(),
      resume: () => call.resume(),
    };
  }
}
