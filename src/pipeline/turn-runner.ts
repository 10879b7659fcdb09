import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, TurnMetrics } from '../frames/events.js';
import { FRAME_MS, type OutputFrame } from '../frames/frames.js';
import type { Ticker } from '../core/ticker.js';
import { nowMs } from '../core/clock.js';
import type { Metrics } from '../observability/metrics.js';
import { ConversationHistory } from './history.js';
import { OutputPacer } from './output-pacer.js';
import type { PhraseCache, TurnStages } from '../stages/stage-ports.js';
import { Turn, type TurnContext, type TurnResult } from './turn.js';
import type { TurnAction, TurnTaking } from './turn-taking.js';
import type { CutoffWatch } from './turn-detection/cutoff-watch.js';
import { ClientTools } from './tools/client-tools.js';

const LAST_TURNS_KEPT = 10;

interface QueuedTurn {
  text: string;
  utterance: number;
  speechEndTsMs: number | null;
  endpointTsMs: number | null;
  sttFinalTsMs: number | null;
}

export interface TurnRunnerOptions {
  sessionId: string;
  config: PipelineConfig;
  stages: TurnStages;
  ticker: Ticker;
  metrics: Metrics;
  logger: Logger;
  taking: TurnTaking;
  cutoffs: CutoffWatch;
  /** The process's cache of synthesised fixed phrases (fillers). */
  phraseCache: PhraseCache;
  emit(event: ServerEvent): void;
  /** Data lane: paced reply audio, one 20 ms frame per call. */
  onAudio(frame: OutputFrame): void;
}

export type CommitAction = Extract<TurnAction, { type: 'commit' }>;

/**
 * The agent side of a session: starts, queues, preempts and interrupts its turns, keeps
 * the conversation history and paces reply audio out. Turn ids are `<session>.t<n>`.
 */
export class TurnRunner {
  readonly #o: TurnRunnerOptions;
  readonly #pacer: OutputPacer;
  readonly #history: ConversationHistory;
  readonly #turnCtx: TurnContext;
  readonly #lastTurns: TurnMetrics[] = [];
  readonly #clientTools = new ClientTools();
  #turn: Turn | undefined;
  #preempt: Turn | undefined;
  /**
   * A user turn that arrived while a reply played with interruptions off: it starts
   * once the reply ends (texts arriving meanwhile are joined). At most one.
   */
  #queued: QueuedTurn | undefined;
  #marksInUse = false;
  #turnCount = 0;
  #outSeq = 0;
  #closed = false;

  constructor(options: TurnRunnerOptions) {
    this.#o = options;
    const { config } = options;
    this.#history = new ConversationHistory(
      config.stages.llm.instructions,
      config.history.maxMessages,
    );
    this.#pacer = new OutputPacer({
      ticker: options.ticker,
      leadMs: config.output.leadMs,
      capacity: Math.max(1, Math.floor(config.output.maxBufferedMs / FRAME_MS)),
      send: (frame) => this.#sendFrame(frame),
      onBackpressure: (paused) => this.#turn?.setPaused(paused),
    });
    this.#turnCtx = {
      sessionId: options.sessionId,
      config,
      stages: options.stages,
      metrics: options.metrics,
      logger: options.logger,
      emit: (ev) => options.emit(ev),
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
      clientTools: this.#clientTools,
      ttsCache: options.phraseCache,
      toolResultKept: (turnId, messages, call, ok) => {
        if (this.#closed) {
          return;
        }
        this.#history.addAll(messages);
        options.emit({
          type: 'response.function_call.kept',
          turnId,
          callId: call.id,
          name: call.name,
          ok,
        });
      },
    };
  }

  /** True while the agent has a reply in progress (generating or playing). */
  get responding(): boolean {
    return this.#turn !== undefined;
  }

  get turns(): number {
    return this.#turnCount;
  }

  get framesSent(): number {
    return this.#pacer.framesSent;
  }

  lastTurns(): TurnMetrics[] {
    return this.#lastTurns.slice();
  }

  /** The turn id the next utterance gets. */
  nextTurnId(): string {
    return `${this.#o.sessionId}.t${this.#turnCount + 1}`;
  }

  /** The next turn id is used up by an utterance that produced no turn. */
  skipTurnId(): void {
    this.#turnCount++;
  }

  /** `playback.mark`: the client has played reply audio up to output frame `seq`. */
  playbackMark(seq: number): void {
    this.#marksInUse = true;
    this.#turn?.onPlayed(seq, nowMs());
  }

  /** `function_call.output`: false when no tool call of this session waits for `callId`. */
  functionCallOutput(callId: string, output: string): boolean {
    return this.#clientTools.output(callId, output);
  }

  /** Cancels every turn and stops output; idempotent. */
  close(): void {
    this.#closed = true;
    this.#clientTools.close();
    this.#queued = undefined;
    this.#pacer.close();
    const turn = this.#turn;
    const preempt = this.#preempt;
    this.#turn = undefined;
    this.#preempt = undefined;
    turn?.cancel();
    preempt?.cancel();
  }

  #sendFrame(frame: OutputFrame): void {
    const turn = this.#turn;
    if (turn !== undefined && turn.turnId === frame.turnId) {
      turn.onFrameSent(frame);
      this.#o.taking.echo?.played(turn, frame.playAtMs + FRAME_MS);
    }
    this.#o.metrics.framesOut.inc();
    this.#o.onAudio(frame);
  }

  /** A user turn ended: confirm the preemptive reply started on it, or start one. */
  commit(a: CommitAction, speechEnd: number | null): void {
    const preempt = this.#preempt;
    if (preempt !== undefined) {
      // Confirmed: same words as the partial it started on.
      this.#preempt = undefined;
      this.interrupt(null);
      this.#o.emit({
        type: 'transcript.final',
        text: a.text,
        utterance: a.utterance,
        turnId: preempt.turnId,
      });
      this.#history.add('user', a.text);
      this.#turn = preempt;
      this.#o.taking.setAgentActive(true);
      this.#o.metrics.preemptive.labels('kept').inc();
      preempt.release(a.endpointTsMs, a.sttFinalTsMs);
      this.#endedTurn(a, preempt.turnId, speechEnd);
      return;
    }
    this.start(a.text, a.utterance, speechEnd, a.endpointTsMs, a.sttFinalTsMs);
    this.#endedTurn(a, `${this.#o.sessionId}.t${this.#turnCount}`, speechEnd);
  }

  /** Endpoint wait and false cut-off watch for a user turn the detector ended. */
  #endedTurn(a: CommitAction, turnId: string, speechEnd: number | null): void {
    const now = nowMs();
    const waitMs = speechEnd === null ? null : Math.max(0, now - speechEnd);
    if (waitMs !== null) {
      this.#o.metrics.endpointWait.labels(this.#o.config.name, a.detector).observe(waitMs / 1000);
    }
    this.#o.cutoffs.ended(turnId, now, {
      detector: a.detector,
      probability: a.eotProbability,
      waitMs,
    });
  }

  /** Start generating on a stable partial, holding all output until the commit. */
  preempt(partial: string, speechEndTsMs: number | null): void {
    this.#turnCount++;
    const turnId = `${this.#o.sessionId}.t${this.#turnCount}`;
    const messages = this.#history.forRequest();
    messages.push({ role: 'user', content: partial });
    const turn = new Turn(
      this.#turnCtx,
      {
        turnId,
        userText: partial,
        messages,
        speechEndTsMs,
        endpointTsMs: null,
        sttFinalTsMs: null,
        held: true,
      },
      (t, result) => this.#onTurnEnd(t, result),
    );
    this.#preempt = turn;
    turn.start();
  }

  /** The partial the preemptive reply started on was not what the user said. */
  discardPreempt(): void {
    const p = this.#preempt;
    this.#preempt = undefined;
    p?.cancel('discarded');
    this.#o.metrics.preemptive.labels('discarded').inc();
  }

  start(
    text: string,
    utterance: number,
    speechEndTsMs: number | null,
    endpointTsMs: number | null,
    sttFinalTsMs: number | null,
  ): void {
    if (this.#turn !== undefined && !this.#o.taking.interruptions) {
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
    this.interrupt(null);
    this.#turnCount++;
    const turnId = `${this.#o.sessionId}.t${this.#turnCount}`;
    this.#o.emit({ type: 'transcript.final', text, utterance, turnId });
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
    this.#o.taking.setAgentActive(true);
    turn.start();
  }

  /** Barge-in (speechStartTsMs from the VAD) or cancel: stop output, keep what was heard. */
  interrupt(speechStartTsMs: number | null): void {
    const turn = this.#turn;
    if (turn === undefined) {
      return;
    }
    const dropped = this.#pacer.flush();
    if (dropped > 0) {
      this.#o.metrics.framesDropped.labels('barge_in_flush').inc(dropped);
    }
    if (speechStartTsMs !== null) {
      const reactionMs = nowMs() - speechStartTsMs;
      this.#o.metrics.bargeIn.observe(reactionMs / 1000);
      this.#o.logger.debug({ turnId: turn.turnId, reactionMs }, 'barge-in');
    }
    turn.interrupt();
  }

  #onTurnEnd(turn: Turn, result: TurnResult): void {
    if (this.#turn === turn) {
      this.#turn = undefined;
      this.#o.taking.setAgentActive(false);
    }
    if (this.#preempt === turn) {
      this.#preempt = undefined;
    }
    if (result.outcome === 'cancelled') {
      return;
    }
    this.#history.addAll(result.history);
    const eot = this.#o.cutoffs.metricsFor(turn.turnId);
    const metrics = eot === undefined ? result.metrics : { ...result.metrics, endOfTurn: eot };
    this.#lastTurns.push(metrics);
    if (this.#lastTurns.length > LAST_TURNS_KEPT) {
      this.#lastTurns.shift();
    }
    this.#o.emit({ type: 'turn.metrics', ...metrics });
    this.#o.logger.debug({ turnId: turn.turnId, outcome: result.outcome }, 'turn ended');
    const q = this.#queued;
    if (q !== undefined && this.#turn === undefined && !this.#closed) {
      this.#queued = undefined;
      this.start(q.text, q.utterance, q.speechEndTsMs, q.endpointTsMs, q.sttFinalTsMs);
    }
  }
}
