import type { AudioFrame } from '../frames/frames.js';

/**
 * The STT stream's replay window: a ring of the frames since the engine's last
 * acknowledged point (a final transcript), in capture order. A re-opened stream is sent
 * the window again, so a reconnect loses no audio the window still holds.
 */
export class ReplayWindow {
  readonly #ring: (AudioFrame | undefined)[];
  /** Absolute indexes: oldest frame kept, next frame, first frame not yet written. */
  #head = 0;
  #tail = 0;
  #sent = 0;

  constructor(capacity: number) {
    this.#ring = new Array<AudioFrame | undefined>(Math.max(1, capacity)).fill(undefined);
  }

  /** Frames held. */
  get size(): number {
    return this.#tail - this.#head;
  }

  /**
   * Keep a frame; a full window lets its oldest frame go. Returns true when that frame
   * had never been written to any stream: that audio is lost.
   */
  keep(frame: AudioFrame): boolean {
    const cap = this.#ring.length;
    let lost = false;
    if (this.#tail - this.#head === cap) {
      if (this.#head >= this.#sent) {
        lost = true;
        this.#sent = this.#head + 1;
      }
      this.#ring[this.#head % cap] = undefined;
      this.#head++;
    }
    this.#ring[this.#tail % cap] = frame;
    this.#tail++;
    return lost;
  }

  /** Every frame held has been written to the current stream. */
  markSent(): void {
    this.#sent = this.#tail;
  }

  /** Each frame held, oldest first (to write them on a new stream). */
  forEach(fn: (frame: AudioFrame) => void): void {
    const cap = this.#ring.length;
    for (let i = this.#head; i < this.#tail; i++) {
      const f = this.#ring[i % cap];
      if (f !== undefined) {
        fn(f);
      }
    }
  }

  /** The engine finalised the audio up to `endTsMs` (0: all of it written). */
  acknowledge(endTsMs: number): void {
    const cap = this.#ring.length;
    while (this.#head < this.#sent) {
      const f = this.#ring[this.#head % cap];
      if (f !== undefined && endTsMs > 0 && f.captureTsMs >= endTsMs) {
        break;
      }
      this.#ring[this.#head % cap] = undefined;
      this.#head++;
    }
  }

  /**
   * Let go of the frames captured before `tsMs` (all of them for Infinity). Returns how
   * many of the frames still held had already been written.
   */
  dropBefore(tsMs: number): number {
    const cap = this.#ring.length;
    while (this.#head < this.#tail) {
      const f = this.#ring[this.#head % cap];
      if (f !== undefined && f.captureTsMs >= tsMs) {
        break;
      }
      this.#ring[this.#head % cap] = undefined;
      this.#head++;
    }
    if (this.#sent < this.#head) {
      this.#sent = this.#head;
    }
    return this.#sent - this.#head;
  }
}
