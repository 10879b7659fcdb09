import type { ClientDuplexStream, ClientReadableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GenerateResponse__Output } from '../generated/voicerelay/v1/GenerateResponse.js';
import type { SynthesizeRequest } from '../generated/voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse__Output } from '../generated/voicerelay/v1/SynthesizeResponse.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, StageName, TurnMetrics } from '../frames/events.js';
import { FRAME_MS, bytesPerFrame, type OutputFrame } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import { minDeadline, toGrpcDeadline } from '../core/deadline.js';
import { RelayError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { EndpointRoute } from '../stages/endpoint-selector.js';
import type { StageClients } from '../stages/stage-clients.js';
import { watchCall } from '../stages/call-watch.js';
import type { ChatTurn } from './history.js';
import { PhraseChunker } from './phrase-chunker.js';
import { PlayoutTracker } from './playout-tracker.js';
import { ReplyFramer } from './reply-framer.js';
import { BudgetWatch } from './budget-watch.js';

export type TurnOutcome = 'done' | 'interrupted' | 'failed' | 'cancelled';

export interface TurnContext {
  readonly sessionId: string;
  readonly config: PipelineConfig;
  readonly clients: StageClients;
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

const ROLE = { system: 'SYSTEM', user: 'USER', assistant: 'ASSISTANT' } as const;

/**
 * One turn of the agent: an LLM server stream whose tokens are grouped into phrases
 * and streamed into a TTS bidi stream as they arrive; TTS audio is cut into 20 ms
 * frames for the session's pacer. Each stage call has a first-response budget and
 * a hard gRPC deadline.
 */
export class Turn {
  readonly turnId: string;
  readonly #ctx: TurnContext;
  readonly #input: TurnInput;
  readonly #onEnd: (turn: Turn, result: TurnResult) => void;
  readonly #chunker: PhraseChunker;
  readonly #budgets: BudgetWatch;
  readonly #deadlineMs: number;
  readonly #m: TurnMetrics;
  #llm: ClientReadableStream<GenerateResponse__Output> | undefined;
  #llmRoute: EndpointRoute | undefined;
  #llmAttempt = 0;
  #llmSentMs = 0;
  #llmFirstMs = 0;
  #llmDone = false;
  #tts: ClientDuplexStream<SynthesizeRequest, SynthesizeResponse__Output> | undefined;
  #ttsRoute: EndpointRoute | undefined;
  #ttsAttempt = 0;
  #ttsFirstTextMs = 0;
  #ttsFirstAudioMs = 0;
  #ttsText = '';
  #ttsEnded = false;
  #replyText = '';
  readonly #framer: ReplyFramer;
  readonly #playout = new PlayoutTracker();
  #audioMs = 0;
  #firstFrameSentMs = 0;
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
    const sp = input.speechEndTsMs;
    this.#m = {
      turnId: input.turnId,
      speechEndTsMs: sp,
      endpointMs: sp !== null && input.endpointTsMs !== null ? input.endpointTsMs - sp : null,
      sttFinalMs: sp !== null && input.sttFinalTsMs !== null ? input.sttFinalTsMs - sp : null,
      llmTtftMs: null,
      ttsTtfaMs: null,
      voiceToVoiceMs: null,
      voiceToVoiceEdgeMs: null,
      llmTotalMs: null,
      promptTokens: 0,
      completionTokens: 0,
      budgetsExceeded: [],
      interrupted: false,
    };
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
    const sp = this.#input.speechEndTsMs;
    if (sp !== null) {
      this.#m.endpointMs = endpointTsMs === null ? null : endpointTsMs - sp;
      this.#m.sttFinalMs = sttFinalTsMs === null ? null : sttFinalTsMs - sp;
    }
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
    if (this.#firstFrameSentMs === 0) {
      this.#firstFrameSentMs = frame.sentTsMs;
      const sp = this.#input.speechEndTsMs;
      if (sp !== null) {
        this.#m.voiceToVoiceMs = frame.sentTsMs - sp;
      }
    }
    this.#playout.sent(frame.seq, frame.textEnd, frame.playAtMs);
  }

  /** The client played reply audio up to output frame `seq` (a playback mark). */
  onPlayed(seq: number, atMs: number): void {
    const sp = this.#input.speechEndTsMs;
    if (this.#playout.marked(seq) && sp !== null) {
      this.#m.voiceToVoiceEdgeMs = atMs - sp;
    }
  }

  /** What the user has heard completely by `nowMs` (text offset, audio ms). */
  heard(nowMs: number): { end: number; audioMs: number } {
    return this.#playout.heard(nowMs, this.#ctx.marksInUse());
  }

  /** Barge-in: stop generating and synthesising; the caller flushes queued audio. */
  interrupt(): void {
    this.#m.interrupted = true;
    this.#finish('interrupted', undefined);
  }

  /** Session closing: cancel every call, report nothing more. */
  cancel(): void {
    this.#finish('cancelled', undefined);
  }

  // ---- LLM -----------------------------------------------------------------

  #startLlm(): void {
    const { config, clients } = this.#ctx;
    const stage = config.stages.llm;
    this.#llmRoute ??= clients.selector('llm', stage.endpoints, stage.balance).route();
    const endpoint = this.#llmRoute.pick(this.#llmAttempt);
    const started = nowMs();
    let call: ClientReadableStream<GenerateResponse__Output>;
    try {
      call = clients.get('llm', endpoint).Generate(
        {
          requestId: `${this.turnId}.llm${this.#llmAttempt}`,
          turnId: this.turnId,
          sessionId: this.#ctx.sessionId,
          messages: this.#input.messages.map((m) => ({ role: ROLE[m.role], content: m.content })),
          params: {
            model: stage.model,
            temperature: stage.temperature,
            maxTokens: stage.maxTokens,
            topP: stage.topP,
            stop: [...stage.stop],
          },
        },
        clients.metadata(endpoint, stage.sim, 'llm'),
        { deadline: toGrpcDeadline(minDeadline(this.#deadlineMs, started + stage.maxCallMs)) },
      );
    } catch (err) {
      this.#fail('llm', err);
      return;
    }
    this.#llm = call;
    this.#llmSentMs = started;
    this.#ctx.metrics.waitingFirstToken.inc();
    this.#budgets.arm('llm', stage.budgetMs, started);
    watchCall<GenerateResponse__Output>(call, 'llm', {
      onData: (msg) => {
        if (call === this.#llm) {
          this.#onLlmData(msg, endpoint);
        }
      },
      onDone: (err) => {
        if (call !== this.#llm || this.#finished) {
          return;
        }
        if (this.#llmFirstMs === 0) {
          this.#ctx.metrics.waitingFirstToken.dec();
          this.#budgets.disarm('llm');
        }
        if (err !== undefined) {
          this.#fail('llm', err);
          return;
        }
        this.#llmDone = true;
        this.#m.llmTotalMs = nowMs() - this.#llmSentMs;
        if (!this.#held) {
          this.#endText();
        }
      },
    });
  }

  #onLlmData(msg: GenerateResponse__Output, endpoint: string): void {
    if (msg.kind === 'delta' && msg.delta != null) {
      if (this.#llmFirstMs === 0) {
        this.#llmFirstMs = nowMs();
        const ttft = this.#llmFirstMs - this.#llmSentMs;
        this.#m.llmTtftMs = ttft;
        this.#budgets.disarm('llm');
        const mx = this.#ctx.metrics;
        mx.waitingFirstToken.dec();
        mx.llmTtft.observe(ttft / 1000);
        mx.stageFirstResponse.labels('llm', endpoint).observe(ttft / 1000);
      }
      const text = msg.delta.text;
      if (text === '') {
        return;
      }
      if (this.#held) {
        this.#heldText += text;
        return;
      }
      this.#onText(text);
    } else if (msg.kind === 'usage' && msg.usage != null) {
      this.#m.promptTokens = msg.usage.promptTokens;
      this.#m.completionTokens = msg.usage.completionTokens;
      this.#ctx.metrics.llmTokens.labels('prompt').inc(msg.usage.promptTokens);
      this.#ctx.metrics.llmTokens.labels('completion').inc(msg.usage.completionTokens);
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

  #ensureTts(): ClientDuplexStream<SynthesizeRequest, SynthesizeResponse__Output> | undefined {
    if (this.#tts !== undefined) {
      return this.#tts;
    }
    const { config, clients } = this.#ctx;
    const stage = config.stages.tts;
    this.#ttsRoute ??= clients.selector('tts', stage.endpoints, stage.balance).route();
    const endpoint = this.#ttsRoute.pick(this.#ttsAttempt);
    const started = nowMs();
    let call: ClientDuplexStream<SynthesizeRequest, SynthesizeResponse__Output>;
    try {
      call = clients.get('tts', endpoint).Synthesize(clients.metadata(endpoint, stage.sim, 'tts'), {
        deadline: toGrpcDeadline(minDeadline(this.#deadlineMs, started + stage.maxCallMs)),
      });
    } catch (err) {
      this.#fail('tts', err);
      return undefined;
    }
    this.#tts = call;
    call.write({
      requestId: `${this.turnId}.tts${this.#ttsAttempt}`,
      turnId: this.turnId,
      config: {
        voice: stage.voice,
        encoding: 'LINEAR16',
        sampleRateHz: config.audio.sampleRateHz,
        speakingRate: stage.speakingRate,
        language: stage.language,
        options: stage.options,
      },
    });
    watchCall<SynthesizeResponse__Output>(call, 'tts', {
      onData: (msg) => {
        if (call === this.#tts) {
          this.#onTtsData(msg, endpoint);
        }
      },
      onDone: (err) => {
        if (call !== this.#tts || this.#finished) {
          return;
        }
        this.#budgets.disarm('tts');
        if (err !== undefined) {
          this.#fail('tts', err);
          return;
        }
        this.#framer.flush();
        this.#ctx.markEnd(() => this.#finish('done', undefined));
      },
    });
    return call;
  }

  #sendText(text: string): void {
    const call = this.#ensureTts();
    if (call === undefined) {
      return;
    }
    if (this.#ttsFirstTextMs === 0) {
      this.#ttsFirstTextMs = nowMs();
      this.#budgets.arm('tts', this.#ctx.config.stages.tts.budgetMs, this.#ttsFirstTextMs);
    }
    this.#ttsText += text;
    call.write({ text: { text } });
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

  #onTtsData(msg: SynthesizeResponse__Output, endpoint: string): void {
    if (msg.kind !== 'audio' || msg.audio == null) {
      return;
    }
    if (this.#ttsFirstAudioMs === 0) {
      this.#ttsFirstAudioMs = nowMs();
      const ttfa = this.#ttsFirstAudioMs - this.#ttsFirstTextMs;
      this.#m.ttsTtfaMs = ttfa;
      this.#budgets.disarm('tts');
      this.#ctx.metrics.ttsTtfa.observe(ttfa / 1000);
      this.#ctx.metrics.stageFirstResponse.labels('tts', endpoint).observe(ttfa / 1000);
    }
    this.#framer.push(msg.audio.audio, msg.audio.span?.end ?? this.#framer.textEnd);
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

  /** Pause/resume reading TTS audio while the pacer's queue is full. */
  setPaused(paused: boolean): void {
    if (paused) {
      this.#tts?.pause();
    } else {
      this.#tts?.resume();
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
      (stage === 'llm' ? this.#llmAttempt : this.#ttsAttempt) + 1 < cfg.endpoints.length;
    const action =
      cfg.onBudgetExceeded === 'fallback' && !canFallback ? 'cancel' : cfg.onBudgetExceeded;
    this.#m.budgetsExceeded.push(stage);
    this.#ctx.metrics.budgetExceeded.labels(stage, action).inc();
    this.#ctx.logger.warn(
      { turnId: this.turnId, stage, budgetMs, elapsedMs, action },
      'stage budget exceeded',
    );
    this.#ctx.emit({
      type: 'budget.exceeded',
      turnId: this.turnId,
      stage,
      budgetMs,
      elapsedMs,
      action,
    });
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
      this.#ctx.metrics.waitingFirstToken.dec();
      this.#llmAttempt++;
      this.#startLlm();
    } else if (stage === 'tts') {
      const old = this.#tts;
      this.#tts = undefined;
      old?.cancel();
      this.#ttsAttempt++;
      const text = this.#ttsText;
      this.#ttsText = '';
      this.#ttsFirstTextMs = 0;
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
    this.#ctx.metrics.stageErrors.labels(stage, e.code).inc();
    this.#ctx.logger.warn({ turnId: this.turnId, stage, code: e.code }, 'turn stage failed');
    this.#ctx.emit({ type: 'error', code: e.code, message: e.message, turnId: this.turnId });
    this.#finish('failed', e);
  }

  #finish(outcome: TurnOutcome, _err: RelayError | undefined): void {
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
      if (this.#llmFirstMs === 0) {
        this.#ctx.metrics.waitingFirstToken.dec();
      }
      llm.cancel();
    }
    if (tts !== undefined && outcome !== 'done') {
      tts.write({ cancel: { reason: outcome } });
      tts.cancel();
    }
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
    this.#onEnd(this, { outcome, heardText, metrics: this.#m });
  }
}
