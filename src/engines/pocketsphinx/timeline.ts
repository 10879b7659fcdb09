/**
 * Maps a decoder's time base (16 kHz samples written to it) back to the relay's
 * capture clock, from the capture_ts_ms of each chunk fed. Bounded: entries
 * older than `maxEntries` chunks are forgotten (utterances are far shorter).
 */
interface Entry {
  offset: number;
  captureTsMs: number;
}

export class CaptureTimeline {
  readonly #shiftMs: number;
  readonly #maxEntries: number;
  #entries: Entry[] = [];

  /** `shiftMs`: delay of the resampler before the decoder (its output lags the capture). */
  constructor(shiftMs = 0, maxEntries = 6000) {
    this.#shiftMs = shiftMs;
    this.#maxEntries = maxEntries;
  }

  /** A chunk whose first sample is decoder sample `offset` was captured at `captureTsMs`. */
  add(offset: number, captureTsMs: number): void {
    this.#entries.push({ offset, captureTsMs });
    if (this.#entries.length > this.#maxEntries) {
      this.#entries = this.#entries.slice(this.#entries.length - this.#maxEntries / 2);
    }
  }

  /** Capture time of decoder time `sec` (undefined before any audio). */
  captureMsAt(sec: number): number | undefined {
    const sample = sec * 16000;
    const entries = this.#entries;
    if (entries.length === 0) {
      return undefined;
    }
    let lo = 0;
    let hi = entries.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((entries[mid]?.offset ?? 0) <= sample) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    const e = entries[lo];
    if (e === undefined) {
      return undefined;
    }
    return e.captureTsMs + (Math.max(0, sample - e.offset) / 16000) * 1000 - this.#shiftMs;
  }
}
