import { FRAME_MS, bytesPerFrame } from '../frames/frames.js';
import type { StageName } from '../frames/events.js';
import { nowMs } from '../core/clock.js';
import { minDeadline } from '../core/deadline.js';
import type { RelayError } from '../errors/errors.js';
import type { BudgetWatch } from './budget-watch.js';
import { ReplyFramer } from './reply-framer.js';
import type {
  CachedSpeech,
  StageCallHandlers,
  StageRoute,
  TtsCall,
  TtsEvent,
} from '../stages/stage-ports.js';
import { SpokenText } from './tools/spoken-text.js';
import type { TurnObserver } from './turn-observer.js';
import type { TurnContext } from './turn-types.js';

/** Stage call handlers that ignore a call once it is no longer the turn's current one. */
export function whileCurrent<E>(
  current: () => boolean,
  finished: () => boolean,
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
      if (current() && !finished()) {
        onDone(err);
      }
    },
  };
}

export interface ReplySpeechOptions {
  ctx: TurnContext;
  turnId: string;
  deadlineMs: number;
  budgets: BudgetWatch;
  obs: TurnObserver;
  finished(): boolean;
  /** The TTS call failed (or could not be opened). */
  fail(stage: StageName, err: unknown): void;
  /** Every frame of the reply is synthesised and queued. */
  done(): void;
}

/**
 * The TTS leg of one turn: opens the synthesis on the first phrase, streams phrases
 * into it, frames its audio for the session's pacer, and falls back to the next
 * endpoint with the text sent so far.
 */
export class ReplySpeech {
  readonly #o: ReplySpeechOptions;
  readonly #framer: ReplyFramer;
  #tts: TtsCall | undefined;
  #route: StageRoute | undefined;
  #attempt = 0;
  #firstText = false;
  #firstAudio = false;
  #text = '';
  #ended = false;
  #audioMs = 0;
  readonly #spoken = new SpokenText();

  constructor(options: ReplySpeechOptions) {
    this.#o = options;
    this.#framer = new ReplyFramer(
      bytesPerFrame(options.ctx.config.audio.sampleRateHz),
      (payload, textEnd) => this.#emitFrame(payload, this.#spoken.reply(this.#text, textEnd)),
    );
  }

  /** The text sent to synthesis so far (what the user can have heard). */
  get text(): string {
    return this.#text;
  }

  /** The text of the audio queued so far, fillers included, in playout order. */
  get spoken(): SpokenText {
    return this.#spoken;
  }

  /** Fillers and reply text queued for playout, then reply text sent to TTS without audio yet. */
  get hearable(): string {
    return `${this.#spoken.text} ${this.#text.slice(this.#spoken.replyEnd)}`;
  }

  /** What was heard: the spoken text up to `end`, or all of it (the reply done). */
  heardText(end: number | undefined): string {
    const spoken = this.#spoken;
    if (end === undefined) {
      spoken.reply(this.#text, this.#text.length);
    }
    return spoken.text.slice(0, end).trimEnd();
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** Pause/resume reading TTS audio while the pacer's queue is full. */
  setPaused(paused: boolean): void {
    if (paused) {
      this.#tts?.pause();
    } else {
      this.#tts?.resume();
    }
  }

  #ensure(): TtsCall | undefined {
    if (this.#tts !== undefined) {
      return this.#tts;
    }
    const { config, stages } = this.#o.ctx;
    const stage = config.stages.tts;
    this.#route ??= stages.route('tts', stage);
    const endpoint = this.#route.pick(this.#attempt);
    const started = nowMs();
    let call: TtsCall | undefined;
    try {
      call = stages.synthesize(
        {
          requestId: `${this.#o.turnId}.tts${this.#attempt}`,
          turnId: this.#o.turnId,
          config: stage,
          sampleRateHz: config.audio.sampleRateHz,
          endpoint,
          deadlineMs: minDeadline(this.#o.deadlineMs, started + stage.maxCallMs),
        },
        whileCurrent(
          () => call === this.#tts,
          () => this.#o.finished(),
          (ev) => this.#onAudio(ev, endpoint),
          (err) => this.#onDone(err),
        ),
      );
    } catch (err) {
      this.#o.fail('tts', err);
      return undefined;
    }
    this.#tts = call;
    return call;
  }

  send(text: string): void {
    const call = this.#ensure();
    if (call === undefined) {
      return;
    }
    if (!this.#firstText) {
      this.#firstText = true;
      const at = nowMs();
      this.#o.obs.ttsFirstText(at);
      this.#o.budgets.arm('tts', this.#o.ctx.config.stages.tts.budgetMs, at);
    }
    this.#text += text;
    call.push(text);
  }

  end(): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    if (this.#tts === undefined) {
      // Nothing to say (empty reply): the turn is done once queued audio is out.
      this.#o.ctx.markEnd(() => this.#o.done());
      return;
    }
    this.#tts.end();
  }

  /**
   * Queue a filler (speech outside the reply text) now, between the reply's own frames:
   * its text enters the spoken text there, placed on its frames by its cached alignment.
   */
  insert(speech: CachedSpeech, text: string): void {
    const fb = bytesPerFrame(this.#o.ctx.config.audio.sampleRateHz);
    const { audio } = speech;
    const ends = this.#spoken.filler(text, speech.spans, fb, Math.ceil(audio.length / fb));
    ends.forEach((end, i) => {
      const off = i * fb;
      let payload = audio.subarray(off, off + fb);
      if (payload.length < fb) {
        payload = Buffer.concat([payload, Buffer.alloc(fb - payload.length)]);
      }
      this.#emitFrame(payload, end);
    });
  }

  /** Budget fallback: cancel the synthesis and resend its text to the next endpoint. */
  retryOnNextEndpoint(): void {
    const old = this.#tts;
    this.#tts = undefined;
    old?.cancel('fallback');
    this.#attempt++;
    const text = this.#text;
    this.#text = '';
    this.#firstText = false;
    if (text !== '') {
      this.send(text);
    }
    if (this.#ended) {
      this.#ensure()?.end();
    }
  }

  /** The turn ends: hand over the open synthesis (if any) for the turn to cancel. */
  detach(): TtsCall | undefined {
    const tts = this.#tts;
    this.#tts = undefined;
    return tts;
  }

  #onAudio(ev: TtsEvent, endpoint: string): void {
    if (!this.#firstAudio) {
      this.#firstAudio = true;
      this.#o.budgets.disarm('tts');
      this.#o.obs.ttsFirstAudio(nowMs(), endpoint);
    }
    this.#framer.push(ev.audio, ev.textEnd ?? this.#framer.textEnd);
  }

  #onDone(err: RelayError | undefined): void {
    this.#o.budgets.disarm('tts');
    if (err !== undefined) {
      this.#o.fail('tts', err);
      return;
    }
    this.#framer.flush();
    this.#o.ctx.markEnd(() => this.#o.done());
  }

  #emitFrame(payload: Buffer, textEnd: number): void {
    this.#audioMs += FRAME_MS;
    this.#o.ctx.enqueue({
      turnId: this.#o.turnId,
      seq: this.#o.ctx.nextOutputSeq(),
      payload,
      turnAudioEndMs: this.#audioMs,
      textEnd,
      sentTsMs: 0,
      playAtMs: 0,
    });
  }
}
