import type { Logger } from 'pino';
import type { Transcript__Output } from '../generated/voicerelay/v1/Transcript.js';
import type { SpeechEvent__Output } from '../generated/voicerelay/v1/SpeechEvent.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, StageName, TurnMetrics } from '../frames/events.js';
import { FRAME_MS, type AudioFrame, type OutputFrame } from '../frames/frames.js';
import type { Ticker } from '../core/ticker.js';
import type { Metrics } from '../observability/metrics.js';
import { EnergyVad, type VadEvent } from '../media/vad/energy-vad.js';
import { createVad, type VoiceDetector } from '../media/vad/index.js';
import type { StageClients } from '../stages/stage-clients.js';
import { SttStream, type SttDropReason } from '../stages/stt-stream.js';
import { GrpcTurnStages } from '../stages/turn-stages.js';
import { BudgetWatch } from './budget-watch.js';
import { ConversationHistory } from './history.js';
import { OutputPacer } from './output-pacer.js';
import { Turn, type TurnContext, type TurnResult } from './turn.js';
import type { TurnStages } from './stage-ports.js';
import { countTurnOutcome } from './turn-observer.js';
import { TurnTaking, type TurnAction } from './turn-taking.js';
import { createTurnDetector } from './turn-detection/index.js';
import { nowMs } from '../core/clock.js';
import type { RelayError } from '../errors/errors.js';

/** What every session of a process shares. */
export interface PipelineDeps {
  clients: StageClients;
  ticker: Ticker;
  metrics: Metrics;
  logger: Logger;
  /** The LLM and TTS stages of turns (default: gRPC over `clients`). */
  turnStages?: TurnStages;
}

export interface SessionPipelineOptions {
  sessionId: string;
  config: PipelineConfig;
  deps: PipelineDeps;
  /** Control lane: events go out at once, never queued behind audio. */
  onEvent(event: ServerEvent): void;
  /** Data lane: paced reply audio, one 20 ms frame per call. */
  onAudio(frame: OutputFrame): void;
}

export interface SessionPipelineStats {
  turns: number;
  framesIn: number;
  framesToStt: number;
  framesOut: number;
  lastTurns: TurnMetrics[];
}

const LAST_TURNS_KEPT = 10;
const DROP_REPORT_INTERVAL_MS = 1_000;

interface QueuedTurn {
  text: string;
  utterance: number;
  speechEndTsMs: number | null;
  endpointTsMs: number | null;
  sttFinalTsMs: number | null;
}

/**
 * The spine of a session: ordered 20 ms PCM16 frames in; transcripts, reply text and
 * paced reply audio out. One long-lived STT stream per session, one LLM and one TTS
 * stream per turn, reply audio paced by the process's shared ticker.
 */
export class SessionPipeline {
  readonly sessionId: string;
  readonly config: PipelineConfig;
  readonly #o: SessionPipelineOptions;
  readonly #log: Logger;
  readonly #stt: SttStream;
  readonly #vad: EnergyVad;
  readonly #pacer: OutputPacer;
  readonly #history: ConversationHistory;
  readonly #sttBudget: BudgetWatch;
  readonly #turnCtx: TurnContext;
  readonly #lastTurns: TurnMetrics[] = [];
  readonly #taking: TurnTaking;
  #turn: Turn | undefined;
  #preempt: Turn | undefined;
  /**
   * A user turn that arrived while a reply played with interruptions off: it starts
   * once the reply ends (texts arriving meanwhile are joined). At most one.
   */
  #queued: QueuedTurn | undefined;
  #marksInUse = false;
  /** The model VAD once loaded (Silero); until then, and as fallback, the energy VAD. */
  #model: VoiceDetector | undefined;
  #turnCount = 0;
  #outSeq = 0;
  #framesIn = 0;
  #closed = false;
  #lastSpeechEndTsMs: number | null = null;
  /** Set while the STT stream is failing (cleared by the next transcript). */
  #sttDown: RelayError | undefined;
  /** Caller audio dropped since the last `error` event about it; when that event went. */
  #dropsUnreported = 0;
  #dropReportedAtMs = -Infinity;

  constructor(options: SessionPipelineOptions) {
    this.#o = options;
    this.sessionId = options.sessionId;
    this.config = options.config;
    const { deps, config } = options;
    this.#log = deps.logger;
    this.#vad = new EnergyVad({
      minSpeechMs: config.vad.minSpeechMs,
      minSilenceMs: config.vad.minSilenceMs,
      ...(config.vad.engine === 'energy' && config.vad.threshold !== undefined
        ? { thresholdDbfs: config.vad.threshold }
        : {}),
    });
    this.#taking = new TurnTaking({
      detector: createTurnDetector(config, options.sessionId),
      minDelayMs: config.endpoint.minDelayMs,
      maxDelayMs: config.endpoint.maxDelayMs,
      interruptions: config.interruptions.enabled,
      minInterruptSpeechMs: config.interruptions.minSpeechMs,
      transcriptWaitMs: config.interruptions.transcriptWaitMs,
      backchannels: config.interruptions.backchannels,
      preemptive: config.preemptive.enabled,
      preemptiveMinStability: config.preemptive.minStability,
    });
    this.#history = new ConversationHistory(
      config.stages.llm.instructions,
      config.history.maxMessages,
    );
    this.#sttBudget = new BudgetWatch((stage, budgetMs, elapsedMs) =>
      this.#onSttBudget(stage, budgetMs, elapsedMs),
    );
    this.#pacer = new OutputPacer({
      ticker: deps.ticker,
      leadMs: config.output.leadMs,
      capacity: Math.max(1, Math.floor(config.output.maxBufferedMs / FRAME_MS)),
      send: (frame) => this.#sendFrame(frame),
      onBackpressure: (paused) => this.#turn?.setPaused(paused),
    });
    this.#stt = new SttStream({
      sessionId: options.sessionId,
      config: config.stages.stt,
      sampleRateHz: config.audio.sampleRateHz,
      clients: deps.clients,
      metrics: deps.metrics,
      logger: deps.logger,
      handlers: {
        onTranscript: (t, ts) => this.#onTranscript(t, ts),
        onSpeechEvent: (e, ts) => this.#onSpeechEvent(e, ts),
        onFlushDone: () => undefined,
        onFailure: (err) => this.#onSttFailure(err),
        onAudioDropped: (reason) => this.#onAudioDropped(reason),
      },
      maxPendingFrames: Math.ceil((config.uplink.bufferSeconds * 1000) / FRAME_MS),
    });
    this.#turnCtx = {
      sessionId: options.sessionId,
      config,
      stages: deps.turnStages ?? new GrpcTurnStages(deps.clients),
      metrics: deps.metrics,
      logger: deps.logger,
      emit: (ev) => this.#emit(ev),
      enqueue: (frame) => {
        this.#pacer.enqueue(frame);
      },
      markEnd: (cb) => this.#pacer.markEnd(cb),
      nextOutputSeq: () => {
        const s = this.#outSeq;
        this.#outSeq = (this.#outSeq + 1) >>> 0;
        return s;
      },
      marksInUse: () => this.#marksInUse,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while the agent has a reply in progress (generating or playing). */
  get responding(): boolean {
    return this.#turn !== undefined;
  }

  stats(): SessionPipelineStats {
    return {
      turns: this.#turnCount,
      framesIn: this.#framesIn,
      framesToStt: this.#stt.framesWritten,
      framesOut: this.#pacer.framesSent,
      lastTurns: this.#lastTurns.slice(),
    };
  }

  /** Open the STT stream and announce the session. */
  start(): void {
    this.#stt.start();
    if (this.config.vad.engine === 'silero') {
      this.#loadModelVad();
    }
    this.#emit({
      type: 'session.ready',
      sessionId: this.sessionId,
      pipeline: this.config.name,
      sampleRateHz: this.config.audio.sampleRateHz,
      frameMs: FRAME_MS,
    });
  }

  /** Hot path: one ordered 20 ms frame of caller audio. */
  pushAudio(frame: AudioFrame): void {
    if (this.#closed) {
      return;
    }
    this.#framesIn++;
    if (!frame.concealed) {
      this.#taking.onAudio(frame.payload, frame.captureTsMs, FRAME_MS);
      const model = this.#model;
      if (model !== undefined) {
        model.push(frame.payload, frame.captureTsMs, FRAME_MS);
      } else {
        const ev = this.#vad.push(frame.payload, frame.captureTsMs, FRAME_MS);
        if (ev !== undefined) {
          this.#onVad(ev);
        }
      }
    }
    this.#stt.write(frame);
    this.#act(this.#taking.onTick(nowMs(), frame.captureTsMs + FRAME_MS));
  }

  /** `playback.mark`: the client has played reply audio up to output frame `seq`. */
  playbackMark(seq: number): void {
    this.#marksInUse = true;
    this.#turn?.onPlayed(seq, nowMs());
  }

  /** A DTMF key from a phone call: an event to the client, and a typed turn if configured. */
  dtmf(digit: string): void {
    if (this.#closed) {
      return;
    }
    this.#emit({ type: 'dtmf', digit });
    if (this.config.dtmf.asText) {
      this.#startTurn(`[DTMF ${digit}]`, 0, null, null, null);
    }
  }

  /** `session.update`: change the interruption policy for the rest of the session. */
  setInterruptions(enabled: boolean): void {
    this.#taking.setInterruptions(enabled);
  }

  get interruptions(): boolean {
    return this.#taking.interruptions;
  }

  /** `input.text`: a typed user message, handled like a final transcript. */
  inputText(text: string): void {
    if (this.#closed || text.trim() === '') {
      return;
    }
    this.#startTurn(text.trim(), 0, null, null, null);
  }

  /** `response.cancel`: stop the current reply, keep what was heard. */
  cancelResponse(): void {
    this.#interruptTurn(null);
  }

  /** Idempotent; cancels every stage call and timer this session holds. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#queued = undefined;
    this.#sttBudget.close();
    this.#stt.close();
    this.#model?.close();
    this.#model = undefined;
    this.#taking.detector.close();
    this.#pacer.close();
    const turn = this.#turn;
    const preempt = this.#preempt;
    this.#turn = undefined;
    this.#preempt = undefined;
    turn?.cancel();
    preempt?.cancel();
  }

  #loadModelVad(): void {
    const v = this.config.vad;
    createVad(
      {
        engine: 'silero',
        sampleRateHz: this.config.audio.sampleRateHz,
        minSpeechMs: v.minSpeechMs,
        minSilenceMs: v.minSilenceMs,
        ...(v.threshold === undefined ? {} : { threshold: v.threshold }),
      },
      {
        onEvent: (ev) => this.#onVad(ev),
        onError: (err) => this.#log.warn({ err: String(err) }, 'vad handler failed'),
      },
    ).then(
      (detector) => {
        if (this.#closed) {
          detector.close();
          return;
        }
        if (detector.fallbackReason !== undefined) {
          this.#log.warn(
            { reason: detector.fallbackReason },
            'silero vad unavailable, using energy vad',
          );
        }
        this.#model = detector;
      },
      (err: unknown) => this.#log.warn({ err: String(err) }, 'vad load failed, using energy vad'),
    );
  }

  #emit(ev: ServerEvent): void {
    if (!this.#closed) {
      this.#o.onEvent(ev);
    }
  }

  #sendFrame(frame: OutputFrame): void {
    const turn = this.#turn;
    if (turn !== undefined && turn.turnId === frame.turnId) {
      turn.onFrameSent(frame);
    }
    this.#o.deps.metrics.framesOut.inc();
    this.#o.onAudio(frame);
  }

  #onVad(ev: VadEvent): void {
    this.#emit(ev);
    if (ev.type === 'speech.started') {
      this.#sttBudget.disarm('stt');
      this.#act(this.#taking.onSpeechStarted(ev.tsMs));
    } else {
      this.#sttBudget.arm('stt', this.config.stages.stt.budgetMs, ev.tsMs);
      this.#lastSpeechEndTsMs = ev.tsMs;
      this.#act(this.#taking.onSpeechStopped(ev.tsMs, nowMs()));
    }
  }

  /** Dropped caller audio: told to the client at most once a second, with the count. */
  #onAudioDropped(reason: SttDropReason): void {
    this.#dropsUnreported++;
    const now = nowMs();
    if (now - this.#dropReportedAtMs < DROP_REPORT_INTERVAL_MS) {
      return;
    }
    this.#dropReportedAtMs = now;
    const frames = this.#dropsUnreported;
    this.#dropsUnreported = 0;
    this.#log.warn({ reason, frames }, 'caller audio dropped');
    this.#emit({
      type: 'error',
      code: 'RELAY_ERR_AUDIO_DROPPED',
      message:
        reason === 'stt_backpressure'
          ? `${frames} frame(s) of caller audio dropped: the STT stage is behind by more than the uplink budget`
          : `${frames} frame(s) of caller audio dropped: the STT stage is unavailable`,
    });
  }

  #onSpeechEvent(e: SpeechEvent__Output, receivedTsMs: number): void {
    if (e.type === 'END_OF_UTTERANCE') {
      this.#act(this.#taking.onEndOfUtterance(receivedTsMs));
    }
  }

  #onTranscript(t: Transcript__Output, receivedTsMs: number): void {
    this.#sttDown = undefined;
    if (!t.isFinal) {
      this.#emit({
        type: 'transcript.partial',
        text: t.text,
        stability: t.stability,
        utterance: t.utterance,
      });
      this.#act(this.#taking.onPartial(t.text, t.stability));
      return;
    }
    this.#sttBudget.disarm('stt');
    const speechEnd = this.#lastSpeechEndTsMs;
    if (speechEnd !== null && t.text.trim() !== '') {
      this.#o.deps.metrics.stageFirstResponse
        .labels('stt', this.#stt.endpoint)
        .observe((receivedTsMs - speechEnd) / 1000);
    }
    this.#act(this.#taking.onFinal(t.text, t.utterance, receivedTsMs));
  }

  /** Carry out turn-taking decisions. */
  #act(actions: readonly TurnAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'commit':
          this.#commit(a);
          break;
        case 'interrupt':
          this.#interruptTurn(a.speechStartTsMs);
          break;
        case 'flush-stt':
          this.#stt.flush(`${this.sessionId}.t${this.#turnCount + 1}`);
          break;
        case 'preempt':
          this.#startPreempt(a.text);
          break;
        case 'preempt-confirm':
          break; // the commit that follows releases it
        case 'preempt-discard': {
          const p = this.#preempt;
          this.#preempt = undefined;
          p?.cancel('discarded');
          this.#o.deps.metrics.preemptive.labels('discarded').inc();
          break;
        }
      }
    }
  }

  #commit(a: Extract<TurnAction, { type: 'commit' }>): void {
    const speechEnd = a.speechEndTsMs ?? this.#lastSpeechEndTsMs;
    this.#lastSpeechEndTsMs = null;
    const preempt = this.#preempt;
    if (preempt !== undefined) {
      // Confirmed: same words as the partial it started on.
      this.#preempt = undefined;
      this.#interruptTurn(null);
      this.#emit({
        type: 'transcript.final',
        text: a.text,
        utterance: a.utterance,
        turnId: preempt.turnId,
      });
      this.#history.add('user', a.text);
      this.#turn = preempt;
      this.#taking.setAgentActive(true);
      this.#o.deps.metrics.preemptive.labels('kept').inc();
      preempt.release(a.endpointTsMs, a.sttFinalTsMs);
      return;
    }
    this.#startTurn(a.text, a.utterance, speechEnd, a.endpointTsMs, a.sttFinalTsMs);
  }

  #startPreempt(partial: string): void {
    this.#turnCount++;
    const turnId = `${this.sessionId}.t${this.#turnCount}`;
    const messages = this.#history.forRequest();
    messages.push({ role: 'user', content: partial });
    const turn = new Turn(
      this.#turnCtx,
      {
        turnId,
        userText: partial,
        messages,
        speechEndTsMs: this.#lastSpeechEndTsMs,
        endpointTsMs: null,
        sttFinalTsMs: null,
        held: true,
      },
      (t, result) => this.#onTurnEnd(t, result),
    );
    this.#preempt = turn;
    turn.start();
  }

  #startTurn(
    text: string,
    utterance: number,
    speechEndTsMs: number | null,
    endpointTsMs: number | null,
    sttFinalTsMs: number | null,
  ): void {
    if (this.#turn !== undefined && !this.#taking.interruptions) {
      // Interruptions off: the reply is not cut; this turn follows it.
      const q = this.#queued;
      this.#queued = {
        text: q === undefined ? text : `${q.text} ${text}`,
        utterance,
        speechEndTsMs,
        endpointTsMs,
        sttFinalTsMs,
      };
      return;
    }
    this.#interruptTurn(null);
    this.#turnCount++;
    const turnId = `${this.sessionId}.t${this.#turnCount}`;
    this.#emit({ type: 'transcript.final', text, utterance, turnId });
    this.#history.add('user', text);
    const turn = new Turn(
      this.#turnCtx,
      {
        turnId,
        userText: text,
        messages: this.#history.forRequest(),
        speechEndTsMs,
        endpointTsMs,
        sttFinalTsMs,
      },
      (t, result) => this.#onTurnEnd(t, result),
    );
    this.#turn = turn;
    this.#taking.setAgentActive(true);
    turn.start();
  }

  /** Barge-in (speechStartTsMs from the VAD) or cancel: stop output, keep what was heard. */
  #interruptTurn(speechStartTsMs: number | null): void {
    const turn = this.#turn;
    if (turn === undefined) {
      return;
    }
    const dropped = this.#pacer.flush();
    if (dropped > 0) {
      this.#o.deps.metrics.framesDropped.labels('barge_in_flush').inc(dropped);
    }
    if (speechStartTsMs !== null) {
      const reactionMs = nowMs() - speechStartTsMs;
      this.#o.deps.metrics.bargeIn.observe(reactionMs / 1000);
      this.#log.debug({ turnId: turn.turnId, reactionMs }, 'barge-in');
    }
    turn.interrupt();
  }

  #onTurnEnd(turn: Turn, result: TurnResult): void {
    if (this.#turn === turn) {
      this.#turn = undefined;
      this.#taking.setAgentActive(false);
    }
    if (this.#preempt === turn) {
      this.#preempt = undefined;
    }
    if (result.outcome === 'cancelled') {
      return;
    }
    this.#history.add('assistant', result.heardText);
    this.#lastTurns.push(result.metrics);
    if (this.#lastTurns.length > LAST_TURNS_KEPT) {
      this.#lastTurns.shift();
    }
    this.#emit({ type: 'turn.metrics', ...result.metrics });
    this.#log.debug({ turnId: turn.turnId, outcome: result.outcome }, 'turn ended');
    const q = this.#queued;
    if (q !== undefined && this.#turn === undefined && !this.#closed) {
      this.#queued = undefined;
      this.#startTurn(q.text, q.utterance, q.speechEndTsMs, q.endpointTsMs, q.sttFinalTsMs);
    }
  }

  /** The turn id the next utterance gets. */
  #nextTurnId(): string {
    return `${this.sessionId}.t${this.#turnCount + 1}`;
  }

  /**
   * A missing or failing STT engine reaches the client as the stage error (once per
   * failure streak; again for each utterance it loses), never as a slow STT.
   */
  #onSttFailure(err: RelayError): void {
    if (this.#closed) {
      return;
    }
    const first = this.#sttDown === undefined;
    this.#sttDown = err;
    if (first) {
      this.#emit({
        type: 'error',
        code: err.code,
        message: err.message,
        turnId: this.#nextTurnId(),
      });
    }
  }

  #onSttBudget(stage: StageName, budgetMs: number, elapsedMs: number): void {
    if (this.#closed) {
      return;
    }
    const down = this.#sttDown;
    if (down !== undefined) {
      // Not a budget breach: the utterance was lost to the failing engine. Its id is used up.
      this.#emit({
        type: 'error',
        code: down.code,
        message: down.message,
        turnId: this.#nextTurnId(),
      });
      this.#turnCount++;
      return;
    }
    const cfg = this.config.stages.stt;
    const canFallback = cfg.onBudgetExceeded === 'fallback' && cfg.endpoints.length > 1;
    const action =
      cfg.onBudgetExceeded === 'fallback' && !canFallback ? 'cancel' : cfg.onBudgetExceeded;
    const turnId = this.#nextTurnId();
    this.#o.deps.metrics.budgetExceeded.labels(stage, action).inc();
    this.#log.warn({ turnId, stage, budgetMs, elapsedMs, action }, 'stage budget exceeded');
    this.#emit({ type: 'budget.exceeded', turnId, stage, budgetMs, elapsedMs, action });
    if (action === 'record') {
      return;
    }
    // The utterance is lost: start over on a fresh stream. Its id is used up, so the
    // next attempt is a new turn (the breach stays attached to this one).
    this.#turnCount++;
    countTurnOutcome(this.#o.deps.metrics, 'failed', { stage, reason: 'RELAY_ERR_DEADLINE' });
    this.#stt.restart(action === 'fallback');
  }
}
