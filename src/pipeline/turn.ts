import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, StageName, TurnMetrics } from '../frames/events.js';
import { FRAME_MS, bytesPerFrame, type OutputFrame } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import { minDeadline } from '../core/deadline.js';
import { RelayError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { BudgetWatch } from './budget-watch.js';
import type { ChatTurn } from './history.js';
import { PhraseChunker } from './phrase-chunker.js';
import { PlayoutTracker } from './playout-tracker.js';
import { ReplyFramer } from './reply-framer.js';
import type {
  LlmCall,
  LlmEvent,
  StageCallHandlers,
  StageRoute,
  TtsCall,
  TtsEvent,
  TurnStages,
} from '../stages/stage-ports.js';
import { TurnObserver, type TurnFailure, type TurnOutcome } from './turn-observer.js';

export type { TurnOutcome } from './turn-observer.js';

export interface TurnContext {
  readonly sessionId: string;
  readonly config: PipelineConfig;
  readonly stages: TurnStages;
  readonly metrics: Metrics;
  readonly logger: Logger;
  emit(event: ServerEvent): void;
  /** Queue a reply frame for paced output. */
  enqueue(frame: OutputFrame): void;
  /** Call back once every frame queued so far has been sent. */
  markEnd(cb: () => void): void;
  /** The next output frame sequence number of the session. */
  nextOutputSeq(): number;
  /** True once the client sends playback marks (then they, not the pacer, say what was heard). */
  marksInUse(): boolean;
}

export interface TurnInput {
  turnId: string;
  userText: string;
  messages: ChatTurn[];
  speechEndTsMs: number | null;
  endpointTsMs: number | null;
  sttFinalTsMs: number | null;
  /** Preemptive: generate but hold every output until `release()`. */
  held?: boolean;
}

export interface TurnResult {
  outcome: TurnOutcome;
  /** The reply text the user heard (whole reply when done, the heard prefix otherwise). */
  heardText: string;
  metrics: TurnMetrics;
}

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
  #tts: TtsCall | undefined;
  #ttsRoute: StageRoute | undefined;
  #ttsAttempt = 0;
  #ttsFirstText = false;
  #ttsFirstAudio = false;
  #ttsText = '';
  #ttsEnded = false;
  #replyText = '';
  readonly #framer: ReplyFramer;
  readonly #playout = new PlayoutTracker();
  #audioMs = 0;
  #finished = false;
  #held: boolean;
  #heldText = '';

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
    this.#framer = new ReplyFramer(
      bytesPerFrame(ctx.config.audio.sampleRateHz),
      (payload, textEnd) => this.#emitFrame(payload, textEnd),
    );
    this.#obs = new TurnObserver(ctx.metrics, ctx.logger, (ev) => ctx.emit(ev), input);
  }

  get replyText(): string {
    return this.#replyText;
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
    if (paused) {
      this.#tts?.pause();
    } else {
      this.#tts?.resume();
    }
  }

  /** Stage call handlers that ignore a call once it is no longer the turn's current one. */
  #whileCurrent<E>(
    current: () => boolean,
    onEvent: (ev: E) => void,
    onDone: (err: RelayError | undefined) => void,
  ): StageCallHandlers<E> {
    return {
      onEvent: (ev) => {
        if (current()) {
          onEvent(ev);
        }
      },
      onDone: (err) => {
        if (current() && !this.#finished) {
          onDone(err);
        }
      },
    };
  }

  // ---- LLM -----------------------------------------------------------------

  #startLlm(): void {
    const { config, stages } = this.#ctx;
    const stage = config.stages.llm;
    this.#llmRoute ??= stages.route('llm', stage);
    const endpoint = this.#llmRoute.pick(this.#llmAttempt);
    const started = nowMs();
    let call: LlmCall | undefined;
    try {
      call = stages.generate(
        {
          requestId: `${this.turnId}.llm${this.#llmAttempt}`,
          turnId: this.turnId,
          sessionId: this.#ctx.sessionId,
          messages: this.#input.messages,
          config: stage,
          endpoint,
          deadlineMs: minDeadline(this.#deadlineMs, started + stage.maxCallMs),
        },
        this.#whileCurrent(
          () => call === this.#llm,
          (ev) => this.#onLlmEvent(ev, endpoint),
          (err) => this.#onLlmDone(err),
        ),
      );
    } catch (err) {
      this.#fail('llm', err);
      return;
    }
    this.#llm = call;
    this.#obs.llmSent(started);
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
      this.#obs.llmFirstToken(nowMs(), endpoint);
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
      this.#sendText(phrase);
    }
  }

  /** The reply text is complete: flush the last phrase and end the TTS input. */
  #endText(): void {
    const rest = this.#chunker.end();
    if (rest !== '') {
      this.#sendText(rest);
    }
    this.#endTts();
  }

  // ---- TTS -----------------------------------------------------------------

  #ensureTts(): TtsCall | undefined {
    if (this.#tts !== undefined) {
      return this.#tts;
    }
    const { config, stages } = this.#ctx;
    const stage = config.stages.tts;
    this.#ttsRoute ??= stages.route('tts', stage);
    const endpoint = this.#ttsRoute.pick(this.#ttsAttempt);
    const started = nowMs();
    let call: TtsCall | undefined;
    try {
      call = stages.synthesize(
        {
          requestId: `${this.turnId}.tts${this.#ttsAttempt}`,
          turnId: this.turnId,
          config: stage,
          sampleRateHz: config.audio.sampleRateHz,
          endpoint,
          deadlineMs: minDeadline(this.#deadlineMs, started + stage.maxCallMs),
        },
        this.#whileCurrent(
          () => call === this.#tts,
          (ev) => this.#onTtsAudio(ev, endpoint),
          (err) => this.#onTtsDone(err),
        ),
      );
    } catch (err) {
      this.#fail('tts', err);
      return undefined;
    }
    this.#tts = call;
    return call;
  }

  #sendText(text: string): void {
    const call = this.#ensureTts();
    if (call === undefined) {
      return;
    }
    if (!this.#ttsFirstText) {
      this.#ttsFirstText = true;
      const at = nowMs();
      this.#obs.ttsFirstText(at);
      this.#budgets.arm('tts', this.#ctx.config.stages.tts.budgetMs, at);
    }
    this.#ttsText += text;
    call.push(text);
  }

  #endTts(): void {
    if (this.#ttsEnded) {
      return;
    }
    this.#ttsEnded = true;
    if (this.#tts === undefined) {
      // Nothing to say (empty reply): the turn is done once queued audio is out.
      this.#ctx.markEnd(() => this.#finish('done', undefined));
      return;
    }
    this.#tts.end();
  }

  #onTtsAudio(ev: TtsEvent, endpoint: string): void {
    if (!this.#ttsFirstAudio) {
      this.#ttsFirstAudio = true;
      this.#budgets.disarm('tts');
      this.#obs.ttsFirstAudio(nowMs(), endpoint);
    }
    this.#framer.push(ev.audio, ev.textEnd ?? this.#framer.textEnd);
  }

  #onTtsDone(err: RelayError | undefined): void {
    this.#budgets.disarm('tts');
    if (err !== undefined) {
      this.#fail('tts', err);
      return;
    }
    this.#framer.flush();
    this.#ctx.markEnd(() => this.#finish('done', undefined));
  }

  #emitFrame(payload: Buffer, textEnd: number): void {
    this.#audioMs += FRAME_MS;
    this.#ctx.enqueue({
      turnId: this.turnId,
      seq: this.#ctx.nextOutputSeq(),
      payload,
      turnAudioEndMs: this.#audioMs,
      textEnd,
      sentTsMs: 0,
      playAtMs: 0,
    });
  }

  // ---- budgets, failure, end ------------------------------------------------

  #onBudget(stage: StageName, budgetMs: number, elapsedMs: number): void {
    if (this.#finished) {
      return;
    }
    const cfg = this.#ctx.config.stages[stage];
    const canFallback =
      cfg.onBudgetExceeded === 'fallback' &&
      (stage === 'llm' ? this.#llmAttempt : this.#ttsAttempt) + 1 < cfg.endpoints.length;
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
      const old = this.#tts;
      this.#tts = undefined;
      old?.cancel('fallback');
      this.#ttsAttempt++;
      const text = this.#ttsText;
      this.#ttsText = '';
      this.#ttsFirstText = false;
      if (text !== '') {
        this.#sendText(text);
      }
      if (this.#ttsEnded) {
        this.#ensureTts()?.end();
      }
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
    const llm = this.#llm;
    const tts = this.#tts;
    this.#llm = undefined;
    this.#tts = undefined;
    if (llm !== undefined && !this.#llmDone) {
      llm.cancel();
    }
    if (tts !== undefined && outcome !== 'done') {
      tts.cancel(outcome);
    }
    this.#obs.ended(outcome, failure, counted);
    const heard = this.heard(nowMs());
    const heardText =
      outcome === 'done' ? this.#replyText : this.#ttsText.slice(0, heard.end).trimEnd();
    if (outcome === 'done') {
      this.#ctx.emit({ type: 'response.done', turnId: this.turnId, text: this.#replyText });
    } else if (outcome === 'interrupted') {
      this.#ctx.emit({
        type: 'response.interrupted',
        turnId: this.turnId,
        heardText,
        heardAudioMs: heard.audioMs,
      });
    }
    this.#onEnd(this, { outcome, heardText, metrics: this.#obs.metrics });
  }
}
