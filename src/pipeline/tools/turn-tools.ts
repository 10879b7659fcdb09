import type { PipelineConfig } from '../../config/pipeline-schema.js';
import type { ChatTurn } from '../../frames/chat.js';
import type { ServerEvent } from '../../frames/events.js';
import type { Metrics } from '../../observability/metrics.js';
import { nowMs } from '../../core/clock.js';
import { RelayError } from '../../errors/errors.js';
import type { LlmRequest } from '../../stages/stage-ports.js';
import type { ClientTools } from './client-tools.js';
import { ToolCallAccumulator } from './tool-calls.js';
import { ToolRound } from './tool-round.js';

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
}

/**
 * The tool side of one turn: collects the calls of each generation, runs them, keeps
 * the tool exchange (assistant calls and results) for the next request and the
 * history, and measures the time spent waiting for tools.
 */
export class TurnTools {
  readonly #o: TurnToolsOptions;
  readonly #acc = new ToolCallAccumulator();
  readonly #exchange: ChatTurn[] = [];
  #round: ToolRound | undefined;
  #rounds = 0;
  #calls = 0;
  #toolMs: number | null = null;
  #slowTimer: NodeJS.Timeout | undefined;

  constructor(options: TurnToolsOptions) {
    this.#o = options;
  }

  /** The tool exchange so far (for the next request and the history). */
  get exchange(): readonly ChatTurn[] {
    return this.#exchange;
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

  get running(): boolean {
    return this.#round !== undefined;
  }

  onDelta(index: number, id: string, name: string, args: string): void {
    this.#acc.push(index, id, name, args);
  }

  /** True when the generation that just ended asked for tools. */
  get pending(): boolean {
    return this.#acc.size > 0;
  }

  /**
   * Run the calls of the generation that ended (`text`: what it said before them).
   * `next` gets called once every call has a result, unless the turn ended meanwhile.
   */
  run(text: string, next: (err: RelayError | undefined) => void): void {
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
      for (const o of outcomes) {
        this.#o.metrics.toolCalls.labels(o.ran, o.ok ? 'ok' : 'error').inc();
      }
      this.#exchange.push(...ToolRound.messages(text, outcomes));
      next(undefined);
    });
  }

  /** The turn ended (barge-in, failure, close): abort the running round's cancellable calls. */
  end(): void {
    const round = this.#round;
    this.#stop();
    round?.interrupt();
  }

  #stop(): void {
    this.#round = undefined;
    clearTimeout(this.#slowTimer);
    this.#slowTimer = undefined;
  }
}
