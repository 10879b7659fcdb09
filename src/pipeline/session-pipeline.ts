import type { Logger } from 'pino';
import type { Transcript__Output } from '../generated/voicerelay/v1/Transcript.js';
import type { SpeechEvent__Output } from '../generated/voicerelay/v1/SpeechEvent.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, StageName, TurnMetrics } from '../frames/events.js';
import { FRAME_MS, type AudioFrame, type OutputFrame } from '../frames/frames.js';
import type { Ticker } from '../core/ticker.js';
import type { Metrics } from '../observability/metrics.js';
import { EnergyVad, type VadEvent } from '../media/vad/energy-vad.js';
import type { StageClients } from '../stages/stage-clients.js';
import { SttStream } from '../stages/stt-stream.js';
import { BudgetWatch } from './budget-watch.js';
import { ConversationHistory } from './history.js';
import { OutputPacer } from './output-pacer.js';
import { Turn, type TurnContext, type TurnResult } from './turn.js';
import { observeTurn } from './turn-metrics.js';

/** What every session of a process shares. */
export interface PipelineDeps {
  clients: StageClients;
  ticker: Ticker;
  metrics: Metrics;
  logger: Logger;
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
  #turn: Turn | undefined;
  #turnCount = 0;
  #outSeq = 0;
  #framesIn = 0;
  #speechEndTsMs: number | null = null;
  #endpointTsMs: number | null = null;
  #closed = false;

  constructor(options: SessionPipelineOptions) {
    this.#o = options;
    this.sessionId = options.sessionId;
    this.config = options.config;
    const { deps, config } = options;
    this.#log = deps.logger;
    this.#vad = new EnergyVad({
      minSilenceMs: Math.min(200, config.stages.stt.endpointing.silenceMs),
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
        onFailure: () => undefined,
      },
    });
    this.#turnCtx = {
      sessionId: options.sessionId,
      config,
      clients: deps.clients,
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
      const ev = this.#vad.push(frame.payload, frame.captureTsMs, FRAME_MS);
      if (ev !== undefined) {
        this.#onVad(ev);
      }
    }
    this.#stt.write(frame);
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
    this.#interruptTurn();
  }

  /** Idempotent; cancels every stage call and timer this session holds. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#sttBudget.close();
    this.#stt.close();
    this.#pacer.close();
    const turn = this.#turn;
    this.#turn = undefined;
    turn?.cancel();
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
    } else {
      this.#speechEndTsMs = ev.tsMs;
      this.#sttBudget.arm('stt', this.config.stages.stt.budgetMs, ev.tsMs);
    }
  }

  #onSpeechEvent(e: SpeechEvent__Output, receivedTsMs: number): void {
    if (e.type === 'END_OF_UTTERANCE' && this.#endpointTsMs === null) {
      this.#endpointTsMs = receivedTsMs;
    }
  }

  #onTranscript(t: Transcript__Output, receivedTsMs: number): void {
    if (!t.isFinal) {
      this.#emit({
        type: 'transcript.partial',
        text: t.text,
        stability: t.stability,
        utterance: t.utterance,
      });
      return;
    }
    this.#sttBudget.disarm('stt');
    const text = t.text.trim();
    const speechEnd = this.#speechEndTsMs ?? (t.endTsMs > 0 ? t.endTsMs : null);
    const endpointTs = this.#endpointTsMs ?? receivedTsMs;
    this.#speechEndTsMs = null;
    this.#endpointTsMs = null;
    if (text === '') {
      return;
    }
    if (speechEnd !== null) {
      this.#o.deps.metrics.stageFirstResponse
        .labels('stt', this.#stt.endpoint)
        .observe((receivedTsMs - speechEnd) / 1000);
    }
    this.#startTurn(text, t.utterance, speechEnd, endpointTs, receivedTsMs);
  }

  #startTurn(
    text: string,
    utterance: number,
    speechEndTsMs: number | null,
    endpointTsMs: number | null,
    sttFinalTsMs: number | null,
  ): void {
    this.#interruptTurn();
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
    turn.start();
  }

  #interruptTurn(): void {
    const turn = this.#turn;
    if (turn === undefined) {
      return;
    }
    const dropped = this.#pacer.flush();
    if (dropped > 0) {
      this.#o.deps.metrics.framesDropped.labels('barge_in_flush').inc(dropped);
    }
    turn.interrupt();
  }

  #onTurnEnd(turn: Turn, result: TurnResult): void {
    if (this.#turn === turn) {
      this.#turn = undefined;
    }
    if (result.outcome === 'cancelled') {
      return;
    }
    this.#history.add('assistant', result.heardText);
    this.#lastTurns.push(result.metrics);
    if (this.#lastTurns.length > LAST_TURNS_KEPT) {
      this.#lastTurns.shift();
    }
    observeTurn(this.#o.deps.metrics, result.metrics);
    this.#o.deps.metrics.turns.labels(result.outcome).inc();
    this.#emit({ type: 'turn.metrics', ...result.metrics });
    this.#log.debug({ turnId: turn.turnId, outcome: result.outcome }, 'turn ended');
  }

  #onSttBudget(stage: StageName, budgetMs: number, elapsedMs: number): void {
    if (this.#closed) {
      return;
    }
    const cfg = this.config.stages.stt;
    const canFallback = cfg.onBudgetExceeded === 'fallback' && cfg.endpoints.length > 1;
    const action =
      cfg.onBudgetExceeded === 'fallback' && !canFallback ? 'cancel' : cfg.onBudgetExceeded;
    const turnId = `${this.sessionId}.t${this.#turnCount + 1}`;
    this.#o.deps.metrics.budgetExceeded.labels(stage, action).inc();
    this.#log.warn({ turnId, stage, budgetMs, elapsedMs, action }, 'stage budget exceeded');
    this.#emit({ type: 'budget.exceeded', turnId, stage, budgetMs, elapsedMs, action });
    if (action === 'record') {
      return;
    }
    // The utterance is lost: start over on a fresh stream.
    this.#speechEndTsMs = null;
    this.#endpointTsMs = null;
    this.#stt.restart(action === 'fallback');
  }
}
