import type { Logger } from 'pino';
import type { BudgetAction, ServerEvent, StageName, TurnMetrics } from '../frames/events.js';
import type { Metrics } from '../observability/metrics.js';
import { observeTurn } from './turn-metrics.js';

export type TurnOutcome = 'done' | 'interrupted' | 'failed' | 'cancelled';

/** Why a turn failed: the stage and the error code. */
export interface TurnFailure {
  stage: StageName;
  reason: string;
}

/**
 * Count an utterance's one outcome in `relay_turns_total` (stage and reason only for
 * failures). Every utterance ends here exactly once: through its turn's observer, or
 * directly when it is lost before a turn starts (an STT budget cancel).
 */
export function countTurnOutcome(
  metrics: Metrics,
  outcome: TurnOutcome,
  failure?: TurnFailure,
): void {
  metrics.turns.labels(outcome, failure?.stage ?? '', failure?.reason ?? '').inc();
}

export interface TurnClockPoints {
  turnId: string;
  speechEndTsMs: number | null;
  endpointTsMs: number | null;
  sttFinalTsMs: number | null;
}

/**
 * Watches one turn from outside the conversation logic: takes the clock points as the
 * turn reports them, feeds the histograms, the waiting-first-token gauge, the budget
 * events and the outcome counter, and builds the turn's `TurnMetrics`.
 */
export class TurnObserver {
  readonly metrics: TurnMetrics;
  readonly #mx: Metrics;
  readonly #log: Logger;
  readonly #emit: (ev: ServerEvent) => void;
  #waitingFirstToken = false;
  #llmSentMs = 0;
  #ttsFirstTextMs = 0;
  #firstFrameSent = false;
  #ended = false;

  constructor(mx: Metrics, log: Logger, emit: (ev: ServerEvent) => void, p: TurnClockPoints) {
    this.#mx = mx;
    this.#log = log;
    this.#emit = emit;
    const sp = p.speechEndTsMs;
    this.metrics = {
      turnId: p.turnId,
      speechEndTsMs: sp,
      endpointMs: sp !== null && p.endpointTsMs !== null ? p.endpointTsMs - sp : null,
      sttFinalMs: sp !== null && p.sttFinalTsMs !== null ? p.sttFinalTsMs - sp : null,
      llmTtftMs: null,
      ttsTtfaMs: null,
      voiceToVoiceMs: null,
      voiceToVoiceEdgeMs: null,
      llmTotalMs: null,
      promptTokens: 0,
      completionTokens: 0,
      budgetsExceeded: [],
      interrupted: false,
      toolCalls: 0,
      toolMs: null,
      deadAirMs: 0,
    };
  }

  /** A preemptive turn was confirmed: the final transcript's clock points replace the partial's. */
  confirmed(endpointTsMs: number | null, sttFinalTsMs: number | null): void {
    const sp = this.metrics.speechEndTsMs;
    if (sp !== null) {
      this.metrics.endpointMs = endpointTsMs === null ? null : endpointTsMs - sp;
      this.metrics.sttFinalMs = sttFinalTsMs === null ? null : sttFinalTsMs - sp;
    }
  }

  llmSent(atMs: number): void {
    this.#llmSentMs = atMs;
    if (!this.#waitingFirstToken) {
      this.#waitingFirstToken = true;
      this.#mx.waitingFirstToken.inc();
    }
  }

  llmFirstToken(atMs: number, endpoint: string): void {
    const ttft = atMs - this.#llmSentMs;
    this.metrics.llmTtftMs = ttft;
    this.llmStopped();
    this.#mx.llmTtft.observe(ttft / 1000);
    this.#mx.stageFirstResponse.labels('llm', endpoint).observe(ttft / 1000);
  }

  /** The LLM call ended, failed or was cancelled: it no longer waits for a token. */
  llmStopped(): void {
    if (this.#waitingFirstToken) {
      this.#waitingFirstToken = false;
      this.#mx.waitingFirstToken.dec();
    }
  }

  llmDone(atMs: number): void {
    this.llmStopped();
    this.metrics.llmTotalMs = atMs - this.#llmSentMs;
  }

  usage(promptTokens: number, completionTokens: number): void {
    this.metrics.promptTokens = promptTokens;
    this.metrics.completionTokens = completionTokens;
    this.#mx.llmTokens.labels('prompt').inc(promptTokens);
    this.#mx.llmTokens.labels('completion').inc(completionTokens);
  }

  /** The endpoint whose answer a stage call of the turn uses (the pick, a retry, a hedge). */
  servedBy(stage: 'llm' | 'tts', endpoint: string): void {
    this.metrics[stage === 'llm' ? 'llmEndpoint' : 'ttsEndpoint'] = endpoint;
  }

  ttsFirstText(atMs: number): void {
    this.#ttsFirstTextMs = atMs;
  }

  ttsFirstAudio(atMs: number, endpoint: string): void {
    const ttfa = atMs - this.#ttsFirstTextMs;
    this.metrics.ttsTtfaMs = ttfa;
    this.#mx.ttsTtfa.observe(ttfa / 1000);
    this.#mx.stageFirstResponse.labels('tts', endpoint).observe(ttfa / 1000);
  }

  /** A reply frame of this turn was written to the transport. */
  frameSent(sentTsMs: number): void {
    if (this.#firstFrameSent) {
      return;
    }
    this.#firstFrameSent = true;
    const sp = this.metrics.speechEndTsMs;
    if (sp !== null) {
      this.metrics.voiceToVoiceMs = sentTsMs - sp;
    }
  }

  /** The client confirmed playout of the turn's first reply frame. */
  firstPlayed(atMs: number): void {
    const sp = this.metrics.speechEndTsMs;
    if (sp !== null) {
      this.metrics.voiceToVoiceEdgeMs = atMs - sp;
    }
  }

  budgetExceeded(
    stage: StageName,
    budgetMs: number,
    elapsedMs: number,
    action: BudgetAction,
  ): void {
    const turnId = this.metrics.turnId;
    this.metrics.budgetsExceeded.push(stage);
    this.#mx.budgetExceeded.labels(stage, action).inc();
    this.#log.warn({ turnId, stage, budgetMs, elapsedMs, action }, 'stage budget exceeded');
    this.#emit({ type: 'budget.exceeded', turnId, stage, budgetMs, elapsedMs, action });
  }

  /** The dead-air budget was breached: `budget.exceeded` with stage `dead_air`. */
  deadAirExceeded(budgetMs: number, elapsedMs: number, action: 'filler' | 'record'): void {
    const turnId = this.metrics.turnId;
    elapsedMs = Math.round(elapsedMs);
    this.#mx.budgetExceeded.labels('dead_air', action).inc();
    this.#log.debug({ turnId, budgetMs, elapsedMs, action }, 'dead-air budget exceeded');
    this.#emit({ type: 'budget.exceeded', turnId, stage: 'dead_air', budgetMs, elapsedMs, action });
  }

  /** The turn's tool calls, time waiting for tools and dead air. */
  agent(calls: number, toolMs: number | null, deadAirMs: number): void {
    this.metrics.toolCalls = calls;
    this.metrics.toolMs = toolMs;
    this.metrics.deadAirMs = deadAirMs;
    this.#mx.deadAir.observe(deadAirMs / 1000);
  }

  stageFailed(stage: StageName, code: string): void {
    this.#mx.stageErrors.labels(stage, code).inc();
    this.#log.warn({ turnId: this.metrics.turnId, stage, code }, 'turn stage failed');
  }

  /**
   * The turn ended. `counted` is false for a preemptive generation that was discarded
   * (its utterance goes on to another outcome).
   */
  ended(outcome: TurnOutcome, failure: TurnFailure | undefined, counted: boolean): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    this.llmStopped();
    if (outcome === 'interrupted') {
      this.metrics.interrupted = true;
    }
    if (counted) {
      countTurnOutcome(this.#mx, outcome, failure);
    }
    if (outcome !== 'cancelled') {
      observeTurn(this.#mx, this.metrics);
    }
  }
}
