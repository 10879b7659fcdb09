/**
 * The uplink reorder buffer: puts items numbered by a u32 sequence (wrapping) back in order
 * and hands them on as soon as they are contiguous. It is not a playout device: there is no
 * playout clock and no concealment. A contiguous run goes out at once (a backlog after a
 * stall leaves faster than real time); only a gap holds the items behind it, and only as
 * long as the reorder this stream has shown requires (adaptive, bounded). Memory is bounded
 * by `capacity` items: when an item would not fit, the oldest gap is given up on rather
 * than an arrived item dropped.
 *
 * Pure and clock-free: the caller passes the time (`nowMs`) into `push` and `tick`.
 */

export type ReorderPushResult = 'accepted' | 'duplicate' | 'late';

export interface ReorderBufferOptions {
  /** Most items held while waiting for a gap (the memory budget), ≥ 2. */
  capacity: number;
  /**
   * How long the first item is held for items numbered before it (reorder at the very
   * start), and the gap wait before any reorder was measured.
   */
  startWaitMs?: number;
  /** Bounds of the adaptive gap wait. */
  minWaitMs?: number;
  maxWaitMs?: number;
  /**
   * Per released item, the measured reorder peak decays by this factor (0.999 ≈ 1,000
   * items, 20 s of 20 ms frames, before a one-off reorder is forgotten).
   */
  decay?: number;
}

export const DEFAULT_REORDER_OPTIONS = {
  startWaitMs: 120,
  minWaitMs: 60,
  maxWaitMs: 1_000,
  decay: 0.999,
} as const;

/** Headroom on the measured reorder: wait = peak × HEADROOM + SLACK_MS. */
const HEADROOM = 1.5;
const SLACK_MS = 20;

const EMPTY = 0;
const HELD = 1;
const RELEASED = 2;
const SKIPPED = 3;

export interface ReorderCounters {
  /** Every push. */
  received: number;
  accepted: number;
  /** The same seq again (held or already released): dropped. */
  duplicates: number;
  /** Arrived after its gap was given up on: dropped (order is never broken). */
  late: number;
  /** Seqs given up on: never arrived within the wait (truly lost, or late later). */
  lost: number;
  /** Items that arrived behind a later seq. */
  reordered: number;
  /** Gaps that opened; filled in time; given up on after the wait; given up on for memory. */
  gaps: number;
  gapsFilled: number;
  gapsSkipped: number;
  overflowSkips: number;
  /** The sender's numbering jumped further than the buffer can span: continued from there. */
  resyncs: number;
  released: number;
  buffered: number;
  /** Deepest reorder seen, in seqs. */
  maxDepth: number;
}

function zero(): ReorderCounters {
  return {
    received: 0,
    accepted: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    reordered: 0,
    gaps: 0,
    gapsFilled: 0,
    gapsSkipped: 0,
    overflowSkips: 0,
    resyncs: 0,
    released: 0,
    buffered: 0,
    maxDepth: 0,
  };
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) {
    p *= 2;
  }
  return p;
}

export class ReorderBuffer<T> {
  readonly #emit: (item: T, seq: number) => void;
  readonly #window: number;
  readonly #mask: number;
  readonly #items: (T | undefined)[];
  readonly #state: Uint8Array;
  readonly #arrival: Float64Array;
  readonly #startWaitMs: number;
  readonly #minWaitMs: number;
  readonly #maxWaitMs: number;
  readonly #decay: number;
  readonly #c = zero();
  #started = false;
  /** Nothing released yet: items numbered before the first one may still come. */
  #holdingStart = false;
  #startAtMs = 0;
  /** First seq not yet released (or skipped). */
  #next = 0;
  /** Highest seq held, meaningful while `#c.buffered > 0`. */
  #highest = 0;
  /** When the gap at `#next` opened; NaN when there is none. */
  #gapSinceMs = Number.NaN;
  /** When the last gap given up on had opened (to learn from its late items). */
  #skippedGapSinceMs = Number.NaN;
  /** Decaying peak of the measured time a gap stayed open before it filled. */
  #peakMs: number;

  constructor(options: ReorderBufferOptions, emit: (item: T, seq: number) => void) {
    const o = { ...DEFAULT_REORDER_OPTIONS, ...options };
    if (!Number.isInteger(o.capacity) || o.capacity < 2 || o.capacity > 1 << 20) {
      throw new RangeError('capacity must be an integer in [2, 2^20]');
    }
    if (!(o.minWaitMs >= 0 && o.maxWaitMs >= o.minWaitMs && o.startWaitMs >= 0)) {
      throw new RangeError('need 0 <= minWaitMs <= maxWaitMs and startWaitMs >= 0');
    }
    if (!(o.decay > 0 && o.decay <= 1)) {
      throw new RangeError('decay must be in (0, 1]');
    }
    this.#emit = emit;
    // Live seqs span [next, next + window); the ring also remembers [next − window, next)
    // to tell a duplicate (released) from a late item (its gap was given up on).
    this.#window = pow2AtLeast(o.capacity);
    const ring = this.#window * 2;
    this.#mask = ring - 1;
    this.#items = new Array<T | undefined>(ring).fill(undefined);
    this.#state = new Uint8Array(ring);
    this.#arrival = new Float64Array(ring);
    this.#startWaitMs = o.startWaitMs;
    this.#minWaitMs = o.minWaitMs;
    this.#maxWaitMs = o.maxWaitMs;
    this.#decay = o.decay;
    this.#peakMs = Math.max(0, (o.startWaitMs - SLACK_MS) / HEADROOM);
  }

  /** How long a gap is waited for now. */
  get waitMs(): number {
    const w = this.#peakMs * HEADROOM + SLACK_MS;
    return Math.min(this.#maxWaitMs, Math.max(this.#minWaitMs, w));
  }

  /** First seq not yet handed on. */
  get nextSeq(): number {
    return this.#next;
  }

  get reordered(): number {
    return this.#c.reordered;
  }

  counters(): ReorderCounters {
    return { ...this.#c };
  }

  push(item: T, seq: number, nowMs: number): ReorderPushResult {
    const c = this.#c;
    c.received++;
    seq = seq >>> 0;
    if (!this.#started) {
      this.#started = true;
      this.#holdingStart = this.#startWaitMs > 0;
      this.#startAtMs = nowMs;
      this.#next = seq;
      this.#store(item, seq, nowMs);
      if (!this.#holdingStart) {
        this.#release();
      }
      return 'accepted';
    }
    let d = (seq - this.#next) | 0;
    if (d < 0) {
      return this.#behind(item, seq, d, nowMs);
    }
    if (d >= this.#window) {
      if (this.#holdingStart) {
        this.#holdingStart = false;
        this.#release();
        this.#openGap();
        d = (seq - this.#next) | 0;
      }
      while (c.buffered > 0 && d >= this.#window) {
        c.overflowSkips++;
        this.#skipGap(nowMs);
        d = (seq - this.#next) | 0;
      }
      if (d >= this.#window) {
        // Nothing held and far ahead: the sender's numbering jumped. Continue from here.
        c.resyncs++;
        this.#state.fill(EMPTY);
        this.#next = seq;
        this.#gapSinceMs = Number.NaN;
        d = 0;
      }
    }
    const slot = seq & this.#mask;
    if (this.#state[slot] === HELD) {
      c.duplicates++;
      return 'duplicate';
    }
    const depthBefore = c.buffered > 0 ? (this.#highest - this.#next) | 0 : -1;
    this.#store(item, seq, nowMs);
    if (d > 0) {
      if (depthBefore < 0) {
        c.gaps++;
        this.#gapSinceMs = nowMs;
      } else if (d < depthBefore) {
        c.reordered++;
      }
      return 'accepted';
    }
    if (depthBefore >= 0) {
      // This item filled the gap at the head.
      c.reordered++;
      c.gapsFilled++;
      if (depthBefore > c.maxDepth) {
        c.maxDepth = depthBefore;
      }
      this.#learn(nowMs - this.#gapSinceMs);
    }
    if (!this.#holdingStart) {
      this.#release();
      this.#openGap();
    }
    return 'accepted';
  }

  /** Give up on gaps whose wait has passed (and end the start hold); call every tick. */
  tick(nowMs: number): void {
    if (!this.#started) {
      return;
    }
    if (this.#holdingStart) {
      if (nowMs - this.#startAtMs < this.#startWaitMs) {
        return;
      }
      this.#holdingStart = false;
      this.#release();
      this.#openGap();
    }
    while (this.#c.buffered > 0 && nowMs - this.#gapSinceMs >= this.waitMs) {
      this.#skipGap(nowMs);
    }
  }

  /** Forget the stream (the sender restarted its numbering); counters are kept. */
  reset(): void {
    this.#items.fill(undefined);
    this.#state.fill(EMPTY);
    this.#c.buffered = 0;
    this.#started = false;
    this.#holdingStart = false;
    this.#gapSinceMs = Number.NaN;
  }

  #behind(item: T, seq: number, d: number, nowMs: number): ReorderPushResult {
    const c = this.#c;
    const depth = c.buffered > 0 ? (this.#highest - this.#next) | 0 : 0;
    if (this.#holdingStart && depth - d < this.#window) {
      // Numbered before the first item, and nothing released yet: it still fits in front.
      c.reordered++;
      if (depth - d > c.maxDepth) {
        c.maxDepth = depth - d;
      }
      this.#next = seq;
      this.#store(item, seq, nowMs);
      return 'accepted';
    }
    const state = -d <= this.#window ? this.#state[seq & this.#mask] : EMPTY;
    if (state === RELEASED) {
      c.duplicates++;
      return 'duplicate';
    }
    c.late++;
    if (state === SKIPPED && !Number.isNaN(this.#skippedGapSinceMs)) {
      // It would have been in time with a longer wait: learn that wait.
      this.#learn(nowMs - this.#skippedGapSinceMs);
    }
    return 'late';
  }

  #learn(openMs: number): void {
    if (openMs > this.#peakMs) {
      this.#peakMs = openMs;
    }
  }

  #store(item: T, seq: number, nowMs: number): void {
    const slot = seq & this.#mask;
    this.#items[slot] = item;
    this.#state[slot] = HELD;
    this.#arrival[slot] = nowMs;
    const c = this.#c;
    if (c.buffered === 0 || ((seq - this.#highest) | 0) > 0) {
      this.#highest = seq;
    }
    c.buffered++;
    c.accepted++;
  }

  /** Hand on the contiguous run at the head. */
  #release(): void {
    const c = this.#c;
    const state = this.#state;
    const items = this.#items;
    let slot = this.#next & this.#mask;
    while (state[slot] === HELD) {
      const item = items[slot] as T;
      const seq = this.#next;
      items[slot] = undefined;
      state[slot] = RELEASED;
      this.#next = (seq + 1) >>> 0;
      c.buffered--;
      c.released++;
      this.#peakMs *= this.#decay;
      this.#emit(item, seq);
      slot = this.#next & this.#mask;
    }
  }

  /** After a release: a gap is open if items are still held; it opened when the first came. */
  #openGap(): void {
    if (this.#c.buffered === 0) {
      this.#gapSinceMs = Number.NaN;
      return;
    }
    const s = this.#firstHeld();
    this.#gapSinceMs = this.#arrival[s & this.#mask] ?? this.#gapSinceMs;
  }

  #firstHeld(): number {
    let s = this.#next;
    while (this.#state[s & this.#mask] !== HELD) {
      s = (s + 1) >>> 0;
    }
    return s;
  }

  /** Give up on the gap at the head: its seqs count as lost, the run behind it goes out. */
  #skipGap(nowMs: number): void {
    const c = this.#c;
    const first = this.#firstHeld();
    for (let s = this.#next; s !== first; s = (s + 1) >>> 0) {
      this.#state[s & this.#mask] = SKIPPED;
      c.lost++;
    }
    c.gapsSkipped++;
    this.#skippedGapSinceMs = this.#gapSinceMs;
    this.#next = first;
    this.#release();
    this.#openGap();
    if (this.#c.buffered > 0 && Number.isNaN(this.#gapSinceMs)) {
      this.#gapSinceMs = nowMs;
    }
  }
}
