import type { CachedSpeech } from '../../stages/stage-ports.js';
import type { TurnContext } from '../turn-types.js';

export type FillerReason = 'tool' | 'dead_air';

export interface FillersOptions {
  ctx: TurnContext;
  turnId: string;
  deadlineMs: number;
  finished(): boolean;
  /** Queue the filler's audio for playout now. */
  insert(speech: CachedSpeech, text: string): void;
}

/**
 * The fillers of one turn: the configured phrases in turn, synthesised once per voice
 * through the process's TTS cache and queued as reply audio. One at a time.
 */
export class Fillers {
  readonly #o: FillersOptions;
  #count = 0;
  #busy = false;

  constructor(options: FillersOptions) {
    this.#o = options;
  }

  get count(): number {
    return this.#count;
  }

  play(reason: FillerReason): void {
    if (this.#busy || this.#o.finished()) {
      return;
    }
    this.#busy = true;
    const { ctx, turnId } = this.#o;
    const { config, stages, metrics } = ctx;
    const phrases = config.fillers.phrases;
    const text = phrases[this.#count % phrases.length] ?? '';
    this.#count++;
    const stage = config.stages.tts;
    const req = {
      requestId: `${turnId}.filler${this.#count}`,
      turnId,
      config: stage,
      sampleRateHz: config.audio.sampleRateHz,
      endpoint: stages.route('tts', stage).pick(0),
      deadlineMs: this.#o.deadlineMs,
    };
    ctx.ttsCache
      .speak(stages, req, text, (r) => metrics.ttsCache.labels(r).inc())
      .then(
        (speech) => {
          this.#busy = false;
          if (this.#o.finished()) {
            return;
          }
          metrics.fillers.labels(reason).inc();
          ctx.emit({ type: 'response.filler', turnId, text });
          this.#o.insert(speech, text);
        },
        (err: unknown) => {
          this.#busy = false;
          ctx.logger.debug({ turnId, err: String(err) }, 'filler synthesis failed');
        },
      );
  }
}
