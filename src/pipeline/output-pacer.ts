import type { OutputFrame } from '../frames/frames.js';
import { FRAME_MS } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import type { Ticker } from '../core/ticker.js';

/** Called once the last frame queued before `markEnd` has been handed to the transport. */
export type DrainCallback = () => void;

interface EndMarker {
  readonly end: DrainCallback;
}

type PacerItem = OutputFrame | EndMarker;

export interface OutputPacerOptions {
  ticker: Ticker;
  /** Audio kept in flight ahead of real time. */
  leadMs: number;
  /** Capacity of the queue, in frames. */
  capacity: number;
  /** Hand one frame to the transport (synchronously). */
  send(frame: OutputFrame): void;
  /** The queue crossed its high (true) or low (false) watermark: pause/resume producers. */
  onBackpressure?(paused: boolean): void;
}

/**
 * Paces a session's reply audio in real time from the process's shared ticker.
 * On each tick it sends frames until the audio sent covers the time elapsed since
 * playback started plus `leadMs`. It subscribes to the ticker only while it has
 * something to send, so idle sessions cost nothing per tick.
 */
export class OutputPacer {
  readonly #o: OutputPacerOptions;
  readonly #items: PacerItem[] = [];
  #head = 0;
  #frames = 0;
  #unsubscribe: (() => void) | undefined;
  #playStartMs = 0;
  #sentMs = 0;
  #paused = false;
  #sent = 0;
  #closed = false;

  constructor(options: OutputPacerOptions) {
    this.#o = options;
  }

  /** Frames waiting to be sent. */
  get queuedFrames(): number {
    return this.#frames;
  }

  get framesSent(): number {
    return this.#sent;
  }

  enqueue(frame: OutputFrame): boolean {
    if (this.#closed) {
      return false;
    }
    this.#items.push(frame);
    this.#frames++;
    if (!this.#paused && this.#frames >= this.#o.capacity) {
      this.#paused = true;
      this.#o.onBackpressure?.(true);
    }
    this.#arm();
    return true;
  }

  /** Call `cb` right after every frame queued so far has been sent. */
  markEnd(cb: DrainCallback): void {
    if (this.#closed) {
      return;
    }
    this.#items.push({ end: cb });
    this.#arm();
  }

  /** Drop everything queued (barge-in). Pending end markers are dropped too. */
  flush(): number {
    const dropped = this.#frames;
    this.#items.length = 0;
    this.#head = 0;
    this.#frames = 0;
    this.#resetPlayback();
    this.#release();
    return dropped;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.flush();
    this.#closed = true;
    this.#disarm();
  }

  #arm(): void {
    if (this.#unsubscribe === undefined) {
      this.#unsubscribe = this.#o.ticker.subscribe(this.#onTick);
      // Send what is due right away: the first frame of a reply must not wait a tick.
      this.#onTick(nowMs());
    }
  }

  #disarm(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #resetPlayback(): void {
    this.#playStartMs = 0;
    this.#sentMs = 0;
  }

  #release(): void {
    if (this.#paused && this.#frames <= this.#o.capacity / 2) {
      this.#paused = false;
      this.#o.onBackpressure?.(false);
    }
  }

  readonly #onTick = (tsMs: number): void => {
    for (;;) {
      const item = this.#items[this.#head];
      if (item === undefined) {
        break;
      }
      if ('end' in item) {
        this.#shift();
        item.end();
        continue;
      }
      if (this.#playStartMs === 0 || this.#sentMs < tsMs - this.#playStartMs) {
        // Nothing in flight (first frame, or the client has played everything sent):
        // playback (re)starts now.
        this.#playStartMs = tsMs;
        this.#sentMs = 0;
      }
      if (this.#sentMs >= tsMs - this.#playStartMs + this.#o.leadMs) {
        break;
      }
      this.#shift();
      this.#frames--;
      item.playAtMs = this.#playStartMs + this.#sentMs;
      this.#sentMs += FRAME_MS;
      item.sentTsMs = nowMs();
      this.#sent++;
      this.#o.send(item);
    }
    if (this.#head >= this.#items.length) {
      // Empty: stop ticking. The playback clock is kept, so audio that arrives while
      // the client still plays what was sent continues the same timeline.
      this.#items.length = 0;
      this.#head = 0;
      this.#disarm();
    }
    this.#release();
  };

  #shift(): void {
    this.#items[this.#head] = undefined as unknown as PacerItem;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
