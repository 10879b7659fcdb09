import type { Logger } from 'pino';
import type { Transcript__Output } from '../generated/voicerelay/v1/Transcript.js';
import type { SpeechEvent__Output } from '../generated/voicerelay/v1/SpeechEvent.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, StageName, TurnMetrics } from '../frames/events.js';
import { FRAME_MS, type AudioFrame, type OutputFrame } from '../frames/frames.js';
import type { Ticker } from '../core/ticker.js';
import type { Metrics } from '../observability/metrics.js';
import type { EnergyVad, VadEvent, VoiceDetector } from '../media/vad/index.js';
import { gatewayLayer, type AuditLog, type SessionQuota } from './guard/layer.js';
import { BudgetWatch } from './budget-watch.js';
import type { SttStage, StageFactory } from '../stages/stage-ports.js';
import { TurnRunner } from './turn-runner.js';
import { AudioDropReporter, energyVadFor, loadModelVad, turnTakingFor } from './session-parts.js';
import { countTurnOutcome } from './turn-observer.js';
import type { TurnAction, TurnTaking } from './turn-taking.js';
import { CutoffWatch } from './turn-detection/cutoff-watch.js';
import { nowMs } from '../core/clock.js';
import type { RelayError } from '../errors/errors.js';

/** What every session of a process shares. */
export interface PipelineDeps {
  /** Opens the stages of each session (the composition root's choice, e.g. gRPC). */
  stages: StageFactory;
  ticker: Ticker;
  metrics: Metrics;
  logger: Logger;
  /** The relay's audit log, when it keeps one (README "Audit log"). */
  audit?: AuditLog | undefined;
}

export interface SessionPipelineOptions {
  sessionId: string;
  config: PipelineConfig;
  deps: PipelineDeps;
  /** Control lane: events go out at once, never queued behind audio. */
  onEvent(event: ServerEvent): void;
  /** Data lane: paced reply audio, one 20 ms frame per call. */
  onAudio(frame: OutputFrame): void;
  quota?: SessionQuota | undefined;
}

export interface SessionPipelineStats {
  turns: number;
  framesIn: number;
  framesToStt: number;
  framesOut: number;
  lastTurns: TurnMetrics[];
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
  readonly #stt: SttStage;
  readonly #vad: EnergyVad;
  readonly #sttBudget: BudgetWatch;
  readonly #taking: TurnTaking;
  readonly #cutoffs: CutoffWatch;
  /** The agent side: turns, history and paced reply audio. */
  readonly #replies: TurnRunner;
  readonly #drops: AudioDropReporter;
  /** The model VAD once loaded (Silero); until then, and as fallback, the energy VAD. */
  #model: VoiceDetector | undefined;
  #framesIn = 0;
  #closed = false;
  #lastSpeechEndTsMs: number | null = null;
  /** Set while the STT stream is failing (cleared by the next transcript). */
  #sttDown: RelayError | undefined;
  readonly #audit: ReturnType<typeof gatewayLayer>['audit'];

  constructor(options: SessionPipelineOptions) {
    this.#o = options;
    this.sessionId = options.sessionId;
    this.config = options.config;
    const { deps, config } = options;
    this.#log = deps.logger;
    this.#vad = energyVadFor(config);
    this.#taking = turnTakingFor(config, options.sessionId, deps.metrics);
    this.#drops = new AudioDropReporter(deps.logger, (ev) => this.#emit(ev));
    this.#cutoffs = new CutoffWatch(config.endpoint.falseCutoffWindowMs);
    this.#sttBudget = new BudgetWatch((stage, budgetMs, elapsedMs) =>
      this.#onSttBudget(stage, budgetMs, elapsedMs),
    );
    const layer = gatewayLayer(config, options, deps.stages.turnStages());
    this.#audit = layer.audit;
    this.#replies = new TurnRunner({
      sessionId: options.sessionId,
      config,
      stages: layer.stages,
      ticker: deps.ticker,
      metrics: deps.metrics,
      logger: deps.logger,
      taking: this.#taking,
      cutoffs: this.#cutoffs,
      phraseCache: deps.stages.phraseCache(),
      emit: (ev) => this.#emit(ev),
      onAudio: (frame) => options.onAudio(frame),
      quota: options.quota,
    });
    this.#stt = deps.stages.openStt({
      sessionId: options.sessionId,
      config: config.stages.stt,
      sampleRateHz: config.audio.sampleRateHz,
      metrics: deps.metrics,
      logger: deps.logger,
      handlers: {
        onTranscript: (t, ts) => this.#onTranscript(t, ts),
        onSpeechEvent: (e, ts) => this.#onSpeechEvent(e, ts),
        onFlushDone: () => undefined,
        onFailure: (err) => this.#onSttFailure(err),
        onAudioDropped: (reason, frames) => this.#drops.dropped(reason, frames),
      },
      maxPendingFrames: Math.ceil((config.uplink.bufferSeconds * 1000) / FRAME_MS),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while the agent has a reply in progress (generating or playing). */
  get responding(): boolean {
    return this.#replies.responding;
  }

  stats(): SessionPipelineStats {
    return {
      turns: this.#replies.turns,
      framesIn: this.#framesIn,
      framesToStt: this.#stt.framesWritten,
      framesOut: this.#replies.framesSent,
      lastTurns: this.#replies.lastTurns(),
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
    this.#replies.playbackMark(seq);
  }

  /** A DTMF key from a phone call: an event to the client, and a typed turn if configured. */
  dtmf(digit: string): void {
    if (this.#closed) {
      return;
    }
    this.#emit({ type: 'dtmf', digit });
    if (this.config.dtmf.asText) {
      this.#replies.start(`[DTMF ${digit}]`, 0, null, null, null);
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
    this.#replies.start(text.trim(), 0, null, null, null);
  }

  /** `response.cancel`: stop the current reply, keep what was heard. */
  cancelResponse(): void {
    this.#replies.interrupt(null);
  }

  /** `function_call.output`: a client tool's result; refused when no call waits for it. */
  functionCallOutput(callId: string, output: string): void {
    if (!this.#closed && !this.#replies.functionCallOutput(callId, output)) {
      this.#emit({
        type: 'error',
        code: 'RELAY_ERR_PROTOCOL',
        message: `no tool call waits for callId ${callId} (unknown, finished or timed out)`,
      });
    }
  }

  /** Idempotent; cancels every stage call and timer this session holds. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#sttBudget.close();
    this.#drops.close();
    this.#stt.close();
    this.#model?.close();
    this.#model = undefined;
    this.#taking.detector.close();
    this.#replies.close();
  }

  #loadModelVad(): void {
    loadModelVad(
      this.config,
      this.#log,
      (ev) => this.#onVad(ev),
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
    );
  }

  #emit(ev: ServerEvent): void {
    this.#audit?.onEvent(ev);
    if (!this.#closed) {
      this.#o.onEvent(ev);
    }
  }

  #onVad(ev: VadEvent): void {
    this.#emit(ev);
    if (ev.type === 'speech.started') {
      this.#sttBudget.disarm('stt');
      const cut = this.#cutoffs.speechStarted(ev.tsMs);
      if (cut !== undefined) {
        this.#o.deps.metrics.falseCutoffs.labels(this.config.name, cut.detector).inc();
      }
      this.#act(this.#taking.onSpeechStarted(ev.tsMs));
    } else {
      this.#sttBudget.arm('stt', this.config.stages.stt.budgetMs, ev.tsMs);
      this.#lastSpeechEndTsMs = ev.tsMs;
      this.#act(this.#taking.onSpeechStopped(ev.tsMs, nowMs()));
    }
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
        case 'commit': {
          const speechEnd = a.speechEndTsMs ?? this.#lastSpeechEndTsMs;
          this.#lastSpeechEndTsMs = null;
          this.#replies.commit(a, speechEnd);
          break;
        }
        case 'interrupt':
          this.#replies.interrupt(a.speechStartTsMs);
          break;
        case 'flush-stt':
          this.#stt.flush(this.#replies.nextTurnId());
          break;
        case 'preempt':
          this.#replies.preempt(a.text, this.#lastSpeechEndTsMs);
          break;
        case 'preempt-confirm':
          break; // the commit that follows releases it
        case 'preempt-discard':
          this.#replies.discardPreempt();
          break;
      }
    }
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
        turnId: this.#replies.nextTurnId(),
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
        turnId: this.#replies.nextTurnId(),
      });
      this.#replies.skipTurnId();
      return;
    }
    const cfg = this.config.stages.stt;
    const canFallback = cfg.onBudgetExceeded === 'fallback' && cfg.endpoints.length > 1;
    const action =
      cfg.onBudgetExceeded === 'fallback' && !canFallback ? 'cancel' : cfg.onBudgetExceeded;
    const turnId = this.#replies.nextTurnId();
    this.#o.deps.metrics.budgetExceeded.labels(stage, action).inc();
    this.#log.warn({ turnId, stage, budgetMs, elapsedMs, action }, 'stage budget exceeded');
    this.#emit({ type: 'budget.exceeded', turnId, stage, budgetMs, elapsedMs, action });
    if (action === 'record') {
      return;
    }
    // Start over on a fresh stream. Its id is used up, so the next attempt is a new turn
    // (the breach stays attached to this one). `cancel` gives the utterance up and sends
    // the new stream only what was said after it; `fallback` sends the next endpoint the
    // whole replay window, the utterance included.
    this.#replies.skipTurnId();
    countTurnOutcome(this.#o.deps.metrics, 'failed', { stage, reason: 'RELAY_ERR_DEADLINE' });
    const keepFrom = action === 'fallback' ? -Infinity : (this.#lastSpeechEndTsMs ?? Infinity);
    this.#stt.restart(action === 'fallback', keepFrom);
  }
}
