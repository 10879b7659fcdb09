import { FRAME_MS } from '../frames/frames.js';

/**
 * What of one reply the user has heard. Every frame sent is recorded with its text end
 * and its scheduled playout end (numbers only). Client playback marks, when the client
 * sends them, say how far playback got; otherwise the paced playout clock does.
 */
export class PlayoutTracker {
  readonly #textEnd: number[] = [];
  readonly #playEndMs: number[] = [];
  #firstSeq = -1;
  #markedIndex = -1;

  get firstSeq(): number {
    return this.#firstSeq;
  }

  sent(seq: number, textEnd: number, playAtMs: number): void {
    if (this.#firstSeq < 0) {
      this.#firstSeq = seq;
    }
    this.#textEnd.push(textEnd);
    this.#playEndMs.push(playAtMs + FRAME_MS);
  }

  /** A playback mark for output frame `seq`; true when it is the reply's first one. */
  marked(seq: number): boolean {
    if (this.#firstSeq < 0) {
      return false;
    }
    const idx = (seq - this.#firstSeq) >>> 0;
    if (idx >= this.#textEnd.length || idx <= this.#markedIndex) {
      return false;
    }
    const first = this.#markedIndex < 0;
    this.#markedIndex = idx;
    return first;
  }

  /** Text offset heard completely and reply audio played, by marks or by `nowMs`. */
  heard(nowMs: number, byMarks: boolean): { end: number; audioMs: number } {
    let idx = -1;
    if (byMarks) {
      idx = this.#markedIndex;
    } else {
      while (idx + 1 < this.#playEndMs.length && (this.#playEndMs[idx + 1] ?? Infinity) <= nowMs) {
        idx++;
      }
    }
    return idx < 0
      ? { end: 0, audioMs: 0 }
      : { end: this.#textEnd[idx] ?? 0, audioMs: (idx + 1) * FRAME_MS };
  }
}
