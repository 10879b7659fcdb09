import type { PipelineConfig } from '../../config/pipeline-schema.js';
import type { ChatTurn } from '../../frames/chat.js';
import type { ServerEvent } from '../../frames/events.js';
import type { Metrics } from '../../observability/metrics.js';
import { nowMs } from '../../core/clock.js';
import { RelayError } from '../../errors/errors.js';
import type { LlmRequest } from '../../stages/stage-ports.js';
import type { ClientTools } from './client-tools.js';
import { ToolCallAccumulator } from './tool-calls.js';
import { ToolRound, type ToolOutcome } from './tool-round.js';

const declared = new WeakMap<PipelineConfig, LlmRequest['tools']>();

/** The pipeline's tools as the LLM stage receives them (computed once per config). */
export function toolDeclarations(config: PipelineConfig): LlmRequest['tools'] {
  let d = declared.get(config);
  if (d === undefined) {
    d = config.tools.map((t) => ({
      name: t.name,
      description: t.description,
      parametersJson: JSON.stringify(t.parameters),
    }));
    declared.set(config, d);
  }
  return d;
}

export interface TurnToolsOptions {
  sessionId: string;
  turnId: string;
  config: PipelineConfig;
  client: ClientTools;
  metrics: Metrics;
  emit(event: ServerEvent): void;
  /** A tool round is still running `fillers.delayMs` after it started. */
  onSlow(): void;
  /** The turn's spoken text so far (reply and fillers queued for playout). */
  spoken(): string;
  /** A `keep` call's result landed after the turn ended: its call and result, for the history. */
  kept(messages: ChatTurn[], outcome: ToolOutcome): void;
}

/** One finished round: its calls' outcomes and the spoken text's length when they were in. */
interface Round {
  outcomes: ToolOutcome[];
  spokenEnd: number;
}

/**
 * The tool side of one turn: collects the calls of each generation, runs them, and
 * keeps each round's outcomes with the point of the spoken text where they came in, so
 * the history places what the caller heard (fillers included) around the calls exactly.
 * Measures the time spent waiting for tools.
 */
export class TurnTools {
  readonly #o: TurnToolsOptions;
  readonly #acc = new ToolCallAccumulator();
  readonly #done: Round[] = [];
  #round: ToolRound | undefined;
  #rounds = 0;
  #calls = 0;
  #toolMs: number | null = null;
  #slowTimer: NodeJS.Timeout | undefined;

  constructor(options: TurnToolsOptions) {
    this.#o = options;
  }

  /** The tool exchange so far, for the next request of this turn. */
  exchange(): ChatTurn[] {
    return this.history(this.#o.spoken(), undefined);
  }

  /**
   * The turn's messages for the history: per round, the assistant's text heard before
   * its results came in (fillers included) with its calls, then the results; then the
   * rest of `heard`. `open`: the outcomes of a round the turn ended in (cancelled ones).
   */
  history(heard: string, open: ToolOutcome[] | undefined): ChatTurn[] {
    const out: ChatTurn[] = [];
    let from = 0;
    for (const r of this.#done) {
      const to = Math.min(r.spokenEnd, heard.length);
      out.push(...ToolRound.messages(heard.slice(from, to).trim(), r.outcomes));
      from = Math.max(from, to);
    }
    out.push(...ToolRound.messages(heard.slice(from).trim(), open ?? []));
    return out;
  }

  get rounds(): number {
    return this.#rounds;
  }

  get calls(): number {
    return this.#calls;
  }

  get toolMs(): number | null {
    return this.#toolMs;
  }

  onDelta(index: number, id: string, name: string, args: string): void {
    this.#acc.push(index, id, name, args);
  }

  /** True when the generation that just ended asked for tools. */
  get pending(): boolean {
    return this.#acc.size > 0;
  }

  /**
   * Run the calls of the generation that ended.
   * `next` gets called once every call has a result, unless the turn ended meanwhile.
   */
  run(next: (err: RelayError | undefined) => void): void {
    if (this.#rounds >= this.#o.config.toolCalls.maxRounds) {
      next(
        new RelayError(
          'RELAY_ERR_STAGE_FAILED',
          `the model asked for tools more than ${this.#o.config.toolCalls.maxRounds} times in one turn`,
        ),
      );
      return;
    }
    this.#rounds++;
    const calls = this.#acc.take(`${this.#o.turnId}.r${this.#rounds}`);
    this.#calls += calls.length;
    const round = new ToolRound(
      {
        sessionId: this.#o.sessionId,
        turnId: this.#o.turnId,
        tools: this.#o.config.tools,
        client: this.#o.client,
        emit: (ev) => this.#o.emit(ev),
      },
      calls,
    );
    this.#round = round;
    const started = nowMs();
    this.#slowTimer = setTimeout(() => {
      if (this.#round === round) {
        this.#o.onSlow();
      }
    }, this.#o.config.fillers.delayMs);
    this.#slowTimer.unref();
    void round.run().then((outcomes) => {
      if (this.#round !== round) {
        return;
      }
      this.#stop();
      this.#toolMs = (this.#toolMs ?? 0) + (nowMs() - started);
      this.#count(outcomes);
      this.#done.push({ outcomes, spokenEnd: this.#o.spoken().length });
      next(undefined);
    });
  }

  /**
   * The turn ended (barge-in, failure, close) with a round running: its cancellable
   * calls (every call when `all`) are aborted; returns the outcomes that end with the
   * turn. A `keep` call's result reaches `kept` when it lands.
   */
  end(all: boolean): ToolOutcome[] | undefined {
    const round = this.#round;
    this.#stop();
    if (round === undefined) {
      return undefined;
    }
    const { ended, kept } = round.interrupt(all);
    this.#count(ended);
    for (const run of kept) {
      void run.then((o) => {
        this.#count([o]);
        this.#o.kept(ToolRound.messages('', [o]), o);
      });
    }
    return ended;
  }

  #count(outcomes: readonly ToolOutcome[]): void {
    for (const o of outcomes) {
      this.#o.metrics.toolCalls.labels(o.ran, o.ok ? 'ok' : 'error').inc();
    }
  }

  #stop(): void {
    this.#round = undefined;
    clearTimeout(this.#slowTimer);
    this.#slowTimer = undefined;
  }
}
