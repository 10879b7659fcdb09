import { seqDiff32 } from '../../core/seq.js';

/**
 * Maps a client's u32 millisecond timestamps onto the relay clock. Timestamps are
 * unwrapped across 2^32, and the offset is the smallest (arrival − timestamp) seen:
 * the frame that travelled fastest defines the mapping, so network delay never makes
 * capture times look later than they were. A frame's timestamp is its capture start,
 * and it cannot be sent before its last sample was captured, so the mapping also takes
 * off one frame duration.
 */
export class ClientClock {
  readonly #frameMs: number;

  constructor(frameMs = 20) {
    this.#frameMs = frameMs;
  }

  #lastRaw = 0;
  #unwrapped = 0;
  #offset = Infinity;
  #started = false;

  /** Relay-clock capture time of a frame stamped `rawMs` that arrived at `arrivalMs`. */
  map(rawMs: number, arrivalMs: number): number {
    if (!this.#started) {
      this.#started = true;
      this.#lastRaw = rawMs;
      this.#unwrapped = rawMs;
    } else {
      const d = seqDiff32(this.#lastRaw, rawMs);
      this.#unwrapped += d;
      if (d > 0) {
        this.#lastRaw = rawMs;
      } else {
        // An older (reordered) frame: map it without moving the reference.
        const t = this.#unwrapped;
        this.#unwrapped -= d;
        return this.#mapUnwrapped(t, arrivalMs);
      }
    }
    return this.#mapUnwrapped(this.#unwrapped, arrivalMs);
  }

  #mapUnwrapped(t: number, arrivalMs: number): number {
    const offset = arrivalMs - t;
    if (offset < this.#offset) {
      this.#offset = offset;
    }
    return t + this.#offset - this.#frameMs;
  }
}
