import type { StageName } from '../frames/events.js';
import type { OutputFrame } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import { minDeadline } from '../core/deadline.js';
import { RelayError } from '../errors/errors.js';
import { BudgetWatch } from './budget-watch.js';
import { PhraseChunker } from './phrase-chunker.js';
import { PlayoutTracker } from './playout-tracker.js';
import { ReplySpeech, whileCurrent } from './reply-speech.js';
import type { LlmCall, LlmEvent, StageRoute } from '../stages/stage-ports.js';
import { TurnObserver, type TurnFailure, type TurnOutcome } from './turn-observer.js';
import type { TurnContext, TurnInput, TurnResult } from './turn-types.js';
import { TurnTools, toolDeclarations } from './tools/turn-tools.js';
import { Fillers } from './tools/fillers.js';
import { DeadAirGovernor } from './tools/dead-air.js';

export type { TurnOutcome } from './turn-observer.js';
export type { TurnContext, TurnInput, TurnResult } from './turn-types.js';

/**
 * One turn of the agent: an LLM generation whose tokens are grouped into phrases and
 * streamed into a TTS synthesis as they arrive; TTS audio is cut into 20 ms frames for
 * the session's pacer. Each stage call has a first-response budget and a hard deadline.
 * The turn drives the conversation only; its observer measures it.
 */
export class Turn {
  readonly turnId: string;
  readonly #ctx: TurnContext;
  readonly #input: TurnInput;
  readonly #onEnd: (turn: Turn, result: TurnResult) => void;
  readonly #chunker: PhraseChunker;
  readonly #budgets: BudgetWatch;
  readonly #deadlineMs: number;
  readonly #obs: TurnObserver;
  #llm: LlmCall | undefined;
  #llmRoute: StageRoute | undefined;
  #llmAttempt = 0;
  #llmFirst = false;
  #llmDone = false;
  readonly #speech: ReplySpeech;
  #replyText = '';
  readonly #playout = new PlayoutTracker();
  #finished = false;
  #held: boolean;
  #heldText = '';
  readonly #tools: TurnTools;
  readonly #fillers: Fillers;
  #deadAir: DeadAirGovernor | undefined;

  constructor(ctx: TurnContext, input: TurnInput, onEnd: (turn: Turn, result: TurnResult) => void) {
    this.#ctx = ctx;
    this.#input = input;
    this.#onEnd = onEnd;
    this.turnId = input.turnId;
    this.#held = input.held === true;
    this.#chunker = new PhraseChunker({ minChars: ctx.config.turn.minPhraseChars });
    this.#budgets = new BudgetWatch((stage, budgetMs, elapsedMs) =>
      this.#onBudget(stage, budgetMs, elapsedMs),
    );
    const base = input.speechEndTsMs ?? nowMs();
    this.#deadlineMs = base + ctx.config.turn.maxTurnMs;
    this.#obs = new TurnObserver(ctx.metrics, ctx.logger, (ev) => ctx.emit(ev), input);
    this.#speech = new ReplySpeech({
      ctx,
      turnId: this.turnId,
      deadlineMs: this.#deadlineMs,
      budgets: this.#budgets,
      obs: this.#obs,
      finished: () => this.#finished,
      fail: (stage, err) => this.#fail(stage, err),
      done: () => this.#finish('done', undefined),
    });
    this.#fillers = new Fillers({
      ctx,
      turnId: this.turnId,
      deadlineMs: this.#deadlineMs,
      finished: () => this.#finished,
      insert: (speech, text) => this.#speech.insert(speech, text),
    });
    this.#tools = new TurnTools({
      sessionId: ctx.sessionId,
      turnId: this.turnId,
      config: ctx.config,
      client: ctx.clientTools,
      metrics: ctx.metrics,
      emit: (ev) => ctx.emit(ev),
      onSlow: () => !this.#held && this.#fillers.play('tool'),
      spoken: () => this.#speech.spoken.text,
      kept: (messages, outcome) =>
        ctx.toolResultKept(this.turnId, messages, outcome.call, outcome.ok),
    });
  }

  get replyText(): string {
    return this.#replyText;
  }

  /** What the caller hears or is about to (echo filtering). */
  get spokenText(): string {
    return this.#speech.hearable;
  }

  get finished(): boolean {
    return this.#finished;
  }

  get held(): boolean {
    return this.#held;
  }

  start(): void {
    if (!this.#held) {
      this.#ctx.emit({ type: 'response.started', turnId: this.turnId });
    }
    this.#deadAir = new DeadAirGovernor(
      this.#ctx.config.deadAir,
      this.#input.speechEndTsMs ?? nowMs(),
      this.#obs,
      () => !this.#held && this.#fillers.play('dead_air'),
    );
    this.#startLlm();
  }

  /**
   * A preemptive turn is confirmed: emit what was held and start speaking. The clock
   * points of the final transcript replace the ones known at preemption.
   */
  release(endpointTsMs: number | null, sttFinalTsMs: number | null): void {
    if (!this.#held || this.#finished) {
      return;
    }
    this.#held = false;
    this.#obs.confirmed(endpointTsMs, sttFinalTsMs);
    this.#ctx.emit({ type: 'response.started', turnId: this.turnId });
    const text = this.#heldText;
    this.#heldText = '';
    if (text !== '') {
      this.#onText(text);
    }
    if (this.#llmDone) {
      this.#endText();
    }
  }

  /** The pacer sent one of this turn's frames to the transport. */
  onFrameSent(frame: OutputFrame): void {
    this.#obs.frameSent(frame.sentTsMs);
    this.#deadAir?.frameSent(frame.playAtMs);
    this.#playout.sent(frame.seq, frame.textEnd, frame.playAtMs);
  }

  /** The client played reply audio up to output frame `seq` (a playback mark). */
  onPlayed(seq: number, atMs: number): void {
    if (this.#playout.marked(seq)) {
      this.#obs.firstPlayed(atMs);
    }
  }

  /** What the user has heard completely by `nowMs` (text offset, audio ms). */
  heard(nowMs: number): { end: number; audioMs: number } {
    return this.#playout.heard(nowMs, this.#ctx.marksInUse());
  }

  /** Barge-in: stop generating and synthesising; the caller flushes queued audio. */
  interrupt(): void {
    this.#finish('interrupted', undefined);
  }

  /**
   * Cancel every call and report nothing more: the session is closing (`closed`), or a
   * preemptive generation is discarded (`discarded`, not an outcome of its utterance).
   */
  cancel(why: 'closed' | 'discarded' = 'closed'): void {
    this.#finish('cancelled', undefined, why === 'closed');
  }

  /** Pause/resume reading TTS audio while the pacer's queue is full. */
  setPaused(paused: boolean): void {
    this.#speech.setPaused(paused);
  }

  // ---- LLM -----------------------------------------------------------------

  #startLlm(): void {
    const { config, stages } = this.#ctx;
    const stage = config.stages.llm;
    this.#llmRoute ??= stages.route('llm', stage);
    const endpoint = this.#llmRoute.pick(this.#llmAttempt);
    const started = nowMs();
    const round = this.#tools.rounds;
    let call: LlmCall | undefined;
    try {
      call = stages.generate(
        {
          requestId: `${this.turnId}${round === 0 ? '' : `.r${round}`}.llm${this.#llmAttempt}`,
          turnId: this.turnId,
          sessionId: this.#ctx.sessionId,
          messages:
            round === 0
              ? this.#input.messages
              : [...this.#input.messages, ...this.#tools.exchange()],
          tools: toolDeclarations(config),
          config: stage,
          endpoint,
          deadlineMs: minDeadline(this.#deadlineMs, started + stage.maxCallMs),
        },
        whileCurrent(
          () => call === this.#llm,
          () => this.#finished,
          (ev) => this.#onLlmEvent(ev, endpoint),
          (err) => this.#onLlmDone(err),
        ),
      );
    } catch (err) {
      this.#fail('llm', err);
      return;
    }
    this.#llm = call;
    if (round === 0) {
      this.#obs.llmSent(started);
    }
    this.#budgets.arm('llm', stage.budgetMs, started);
  }

  #onLlmEvent(ev: LlmEvent, endpoint: string): void {
    if (ev.kind === 'usage') {
      this.#obs.usage(ev.promptTokens, ev.completionTokens);
      return;
    }
    if (!this.#llmFirst) {
      this.#llmFirst = true;
      this.#budgets.disarm('llm');
      if (this.#tools.rounds === 0) {
        this.#obs.llmFirstToken(nowMs(), endpoint);
      }
    }
    if (ev.kind === 'toolCall') {
      this.#tools.onDelta(ev.index, ev.id, ev.name, ev.arguments);
      return;
    }
    if (ev.text === '') {
      return;
    }
    if (this.#held) {
      this.#heldText += ev.text;
      return;
    }
    this.#onText(ev.text);
  }

  #onLlmDone(err: RelayError | undefined): void {
    this.#budgets.disarm('llm');
    if (err !== undefined) {
      this.#fail('llm', err);
      return;
    }
    if (this.#tools.pending) {
      this.#runTools();
      return;
    }
    this.#llmDone = true;
    this.#obs.llmDone(nowMs());
    if (!this.#held) {
      this.#endText();
    }
  }

  #onText(text: string): void {
    this.#replyText += text;
    this.#ctx.emit({ type: 'response.text.delta', turnId: this.turnId, text });
    for (const phrase of this.#chunker.push(text)) {
      this.#speech.send(phrase);
    }
  }

  // ---- tools -----------------------------------------------------------------

  /** The generation ended with tool calls: speak what it said, run them, generate again. */
  #runTools(): void {
    if (!this.#held) {
      this.#flushPhrase();
    }
    this.#llm = undefined;
    this.#tools.run((err) => {
      if (this.#finished) {
        return;
      }
      if (err !== undefined) {
        this.#fail('llm', err);
        return;
      }
      this.#llmFirst = false;
      this.#llmAttempt = 0;
      this.#startLlm();
    });
  }

  /** The reply text is complete: flush the last phrase and end the TTS input. */
  #endText(): void {
    this.#flushPhrase();
    this.#speech.end();
  }

  #flushPhrase(): void {
    const rest = this.#chunker.end();
    if (rest !== '') {
      this.#speech.send(rest);
    }
  }

  // ---- budgets, failure, end ------------------------------------------------

  #onBudget(stage: StageName, budgetMs: number, elapsedMs: number): void {
    if (this.#finished) {
      return;
    }
    const cfg = this.#ctx.config.stages[stage];
    const canFallback =
      cfg.onBudgetExceeded === 'fallback' &&
      (stage === 'llm' ? this.#llmAttempt : this.#speech.attempt) + 1 < cfg.endpoints.length;
    const action =
      cfg.onBudgetExceeded === 'fallback' && !canFallback ? 'cancel' : cfg.onBudgetExceeded;
    this.#obs.budgetExceeded(stage, budgetMs, elapsedMs, action);
    if (action === 'record') {
      return;
    }
    if (action === 'fallback') {
      this.#retryOnNextEndpoint(stage);
      return;
    }
    this.#fail(
      stage,
      new RelayError('RELAY_ERR_DEADLINE', `${stage} stage missed its ${budgetMs} ms budget`),
    );
  }

  #retryOnNextEndpoint(stage: StageName): void {
    if (stage === 'llm') {
      const old = this.#llm;
      this.#llm = undefined;
      old?.cancel();
      this.#obs.llmStopped();
      this.#llmAttempt++;
      this.#startLlm();
    } else if (stage === 'tts') {
      this.#speech.retryOnNextEndpoint();
    }
  }

  #fail(stage: StageName, err: unknown): void {
    if (this.#finished) {
      return;
    }
    const e =
      err instanceof RelayError ? err : new RelayError('RELAY_ERR_STAGE_FAILED', String(err));
    this.#obs.stageFailed(stage, e.code);
    this.#ctx.emit({ type: 'error', code: e.code, message: e.message, turnId: this.turnId });
    this.#finish('failed', { stage, reason: e.code });
  }

  #finish(outcome: TurnOutcome, failure: TurnFailure | undefined, counted = true): void {
    if (this.#finished) {
      return;
    }
    this.#finished = true;
    this.#budgets.close();
    const openRound = this.#tools.end(outcome !== 'interrupted');
    this.#deadAir?.close();
    const llm = this.#llm;
    const tts = this.#speech.detach();
    this.#llm = undefined;
    if (llm !== undefined && !this.#llmDone) {
      llm.cancel();
    }
    if (tts !== undefined && outcome !== 'done') {
      tts.cancel(outcome);
    }
    this.#obs.ended(outcome, failure, counted);
    const heard = this.heard(nowMs());
    const heardText = this.#speech.heardText(outcome === 'done' ? undefined : heard.end);
    const { turnId } = this;
    if (outcome === 'done') {
      this.#ctx.emit({ type: 'response.done', turnId, text: this.#replyText, heardText });
    } else if (outcome === 'interrupted') {
      const heardAudioMs = heard.audioMs;
      this.#ctx.emit({ type: 'response.interrupted', turnId, heardText, heardAudioMs });
    }
    this.#obs.agent(this.#tools.calls, this.#tools.toolMs, this.#deadAir?.deadMs ?? 0);
    this.#onEnd(this, {
      outcome,
      heardText,
      metrics: this.#obs.metrics,
      history: this.#tools.history(heardText, openRound),
    });
  }
}
