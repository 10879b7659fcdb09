import { seqDiff32, seqNext32 } from '../../core/seq.js';
import { DelayEstimator } from './delay-estimator.js';
import {
  type JitterBufferOptions,
  type JitterStats,
  type PulledFrame,
  type PushResult,
  type ResolvedJitterOptions,
  resolveJitterOptions,
  zeroCounters,
} from './jitter-types.js';

export {
  DEFAULT_JITTER_OPTIONS,
  type JitterBufferOptions,
  type JitterCounters,
  type JitterStats,
  type PulledFrame,
  type PushResult,
} from './jitter-types.js';

const U32 = 0x1_0000_0000;
const EMPTY = 0;
const BUFFERED = 1;
const PLAYED = 2;
const MISSED = 3;
const LATE = 4;

function mod32(x: number): number {
  return x - Math.floor(x / U32) * U32;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Pure, deterministic jitter buffer: no I/O, no timers, no clock reads; every time is passed
 * in. Frames go in with `push` (any order), come out of `pull` in strict seq order, one per
 * frame slot, once their playout point has come. Policies are documented on
 * {@link JitterBufferOptions}.
 *
 * Timing: transit = arrival − media time (sender clock, unwrapped from u32 ms). The anchor
 * is the minimum transit seen (the fastest frame, slowly forgotten); relative delay =
 * transit − anchor ≥ 0 goes into a forgetting histogram (every non-duplicate arrival, late
 * ones included). Playout point = media time + offset, with offset → anchor + target −
 * pullPeriod. A frame present at its playout point goes out at the first pull at or after
 * it; a missing one is waited for `lateGraceMs` more, then its slot is concealed (the core
 * only flags it; the payload is the adapter's business). Target = q-quantile + pullPeriod −
 * lateGrace, so frames whose relative delay is within the q-quantile are never concealed.
 */
export class JitterBuffer<T = unknown> {
  readonly #o: ResolvedJitterOptions;
  readonly #fixed: number | undefined;
  readonly #delay: DelayEstimator;
  readonly #mask: number;
  readonly #items: (T | undefined)[];
  readonly #slotSeq: Uint32Array;
  readonly #slotState: Uint8Array;
  readonly #slotTsRel: Float64Array;
  readonly #slotTsRaw: Float64Array;
  readonly #slotArrival: Float64Array;
  readonly #out: Mutable<PulledFrame<T>>;

  #started = false;
  #stalled = false;
  #emittedAny = false;
  #nextSeq = 0;
  #highestSeq = 0;
  #tsRefRaw = 0;
  #tsRefRel = 0;
  #lastOutTsRel = 0;
  #lastOutRaw = 0;
  #offsetMs = 0;
  #lastPullMs = NaN;
  #concealRun = 0;
  #addedSumMs = 0;
  readonly #n = zeroCounters();

  constructor(options: JitterBufferOptions = {}) {
    const o = resolveJitterOptions(options);
    this.#o = o;
    this.#fixed =
      options.fixedDelayMs === undefined ? undefined : Math.max(0, options.fixedDelayMs);
    this.#delay = new DelayEstimator(o, this.#fixed);
    let ring = 1;
    while (ring < o.capacity) {
      ring <<= 1;
    }
    this.#mask = ring - 1;
    this.#items = new Array<T | undefined>(ring).fill(undefined);
    this.#slotSeq = new Uint32Array(ring);
    this.#slotState = new Uint8Array(ring);
    this.#slotTsRel = new Float64Array(ring);
    this.#slotTsRaw = new Float64Array(ring);
    this.#slotArrival = new Float64Array(ring);
    this.#out = {
      seq: 0,
      mediaTsMs: 0,
      item: undefined,
      concealed: false,
      concealRun: 0,
      arrivalMs: NaN,
      playoutMs: 0,
    };
  }

  get targetDelayMs(): number {
    return this.#started ? this.#delay.targetMs : (this.#fixed ?? this.#o.startDelayMs);
  }

  /** Delay currently applied (moves towards the target; see the shrink policy). */
  get currentDelayMs(): number {
    return this.#started ? this.#offsetMs - this.#delay.anchorMs + this.#o.pullPeriodMs : 0;
  }

  get bufferedFrames(): number {
    return this.#n.buffered;
  }

  /**
   * Offer a frame. `seq` is u32 (wraps); `mediaTsMs` is its media time on the sender clock,
   * interpreted modulo 2^32 ms (epoch ms work too: only differences < 2^31 ms matter).
   */
  push(item: T, seq: number, mediaTsMs: number, arrivalMs: number): PushResult {
    seq = seq >>> 0;
    const n = this.#n;
    n.received++;
    if (!this.#started) {
      this.#init(seq, mediaTsMs, arrivalMs);
    }
    let tsRel = this.#tsRefRel + seqDiff32(this.#tsRefRaw, mod32(mediaTsMs));
    let transit = arrivalMs - tsRel;
    const cap = this.#o.capacity;
    let d = seqDiff32(this.#nextSeq, seq);
    // Sender clock jump: re-initialise, unless the seq is out of the window too (one bogus
    // packet must not flush good audio; a real restart is picked up after the stall).
    const resync = this.#o.resyncThresholdMs;
    const inWindow = this.#stalled || (d > -cap && d < cap);
    if (
      inWindow &&
      (transit < this.#delay.anchorMs - resync ||
        (this.#stalled && transit > this.#delay.anchorMs + resync))
    ) {
      n.resyncs++;
      this.#init(seq, mediaTsMs, arrivalMs);
      tsRel = 0;
      transit = arrivalMs;
      d = 0;
    }
    const slot = seq & this.#mask;
    const state = this.#slotSeq[slot] === seq ? (this.#slotState[slot] ?? EMPTY) : EMPTY;
    if (d >= 0 ? state === BUFFERED : state === PLAYED || state === LATE) {
      n.duplicates++;
      return 'duplicate';
    }
    let late = false;
    if (this.#stalled) {
      late = d < 0 && d > -cap;
      if (!late) {
        this.#resyncAt(seq, tsRel, mediaTsMs, transit, d);
      }
    } else if (d < 0) {
      late = this.#emittedAny || d <= -cap || seqDiff32(seq, this.#highestSeq) >= cap;
      if (!late) {
        // Nothing played yet: an earlier seq simply becomes the first one to play.
        this.#nextSeq = seq;
        this.#lastOutTsRel = tsRel - this.#o.frameMs;
        this.#lastOutRaw = mediaTsMs - this.#o.frameMs;
      }
    } else if (d >= cap) {
      n.overflow++;
      return 'overflow';
    }
    if (Math.abs(transit - this.#delay.anchorMs) <= resync) {
      this.#delay.observe(transit); // an insane transit (bogus late packet) is not a delay sample
    }
    if (seqDiff32(this.#highestSeq, seq) < 0) {
      n.reordered++;
    } else {
      this.#highestSeq = seq;
      this.#tsRefRaw = mod32(mediaTsMs);
      this.#tsRefRel = tsRel;
    }
    if (late) {
      return this.#lateArrival(slot, state);
    }
    this.#items[slot] = item;
    this.#slotSeq[slot] = seq;
    this.#slotState[slot] = BUFFERED;
    this.#slotTsRel[slot] = tsRel;
    this.#slotTsRaw[slot] = mediaTsMs;
    this.#slotArrival[slot] = arrivalMs;
    n.buffered++;
    n.accepted++;
    return 'accepted';
  }

  /**
   * The next slot whose playout point has come, or undefined. Call on every pull tick and
   * repeat until undefined (after a pause several slots can be due at once).
   */
  pull(nowMs: number): PulledFrame<T> | undefined {
    if (!this.#started || this.#stalled) {
      return undefined;
    }
    this.#advanceOffset(nowMs);
    const o = this.#o;
    for (;;) {
      const seq = this.#nextSeq;
      const slot = seq & this.#mask;
      if (this.#slotState[slot] === BUFFERED && this.#slotSeq[slot] === seq) {
        const tsRel = this.#slotTsRel[slot] ?? 0;
        const playout = tsRel + this.#offsetMs;
        return nowMs < playout ? undefined : this.#release(slot, seq, tsRel, playout, nowMs);
      }
      const tsRel = this.#lastOutTsRel + o.frameMs;
      const playout = tsRel + this.#offsetMs;
      if (nowMs < playout + o.lateGraceMs) {
        return undefined;
      }
      if (this.#concealRun < o.maxConcealRun) {
        return this.#conceal(slot, seq, tsRel, playout);
      }
      if (!this.#jumpToBuffered()) {
        this.#stalled = true;
        this.#n.stalls++;
        return undefined;
      }
    }
  }

  /** Forget the stream (next push re-initialises). Counters are kept. */
  reset(): void {
    this.#flush();
    this.#started = false;
    this.#stalled = false;
  }

  stats(): JitterStats {
    const n = this.#n;
    return {
      ...n,
      jitterMs: this.#delay.jitterMs,
      targetDelayMs: this.targetDelayMs,
      currentDelayMs: this.currentDelayMs,
      meanAddedDelayMs: n.released > 0 ? this.#addedSumMs / n.released : 0,
    };
  }

  #init(seq: number, mediaTsMs: number, arrivalMs: number): void {
    this.#flush();
    this.#started = true;
    this.#stalled = false;
    this.#emittedAny = false;
    this.#nextSeq = seq;
    this.#highestSeq = seq;
    this.#tsRefRaw = mod32(mediaTsMs);
    this.#tsRefRel = 0;
    this.#lastOutTsRel = -this.#o.frameMs;
    this.#lastOutRaw = mediaTsMs - this.#o.frameMs;
    this.#delay.reset(arrivalMs);
    this.#offsetMs = arrivalMs + this.#delay.targetMs - this.#o.pullPeriodMs;
    this.#lastPullMs = NaN;
    this.#concealRun = 0;
  }

  #flush(): void {
    this.#n.flushed += this.#n.buffered;
    this.#n.buffered = 0;
    this.#items.fill(undefined);
    this.#slotState.fill(EMPTY);
  }

  #advanceOffset(nowMs: number): void {
    const desired = this.#delay.anchorMs + this.#delay.targetMs - this.#o.pullPeriodMs;
    if (desired >= this.#offsetMs) {
      this.#offsetMs = desired;
    } else if (nowMs > this.#lastPullMs) {
      const step = ((nowMs - this.#lastPullMs) * this.#o.shrinkMsPerS) / 1000;
      this.#offsetMs = Math.max(desired, this.#offsetMs - step);
    }
    if (!(nowMs <= this.#lastPullMs)) {
      this.#lastPullMs = nowMs;
    }
  }

  #release(slot: number, seq: number, tsRel: number, playout: number, nowMs: number) {
    const n = this.#n;
    const arrival = this.#slotArrival[slot] ?? nowMs;
    const item = this.#items[slot];
    this.#items[slot] = undefined;
    this.#slotState[slot] = PLAYED;
    n.buffered--;
    n.released++;
    this.#addedSumMs += nowMs - arrival;
    this.#concealRun = 0;
    this.#lastOutRaw = this.#slotTsRaw[slot] ?? 0;
    return this.#emit(seq, tsRel, item, arrival, playout, false);
  }

  #conceal(slot: number, seq: number, tsRel: number, playout: number): PulledFrame<T> {
    this.#slotSeq[slot] = seq;
    this.#slotState[slot] = MISSED;
    this.#n.concealed++;
    this.#n.lost++;
    this.#concealRun++;
    this.#lastOutRaw += this.#o.frameMs;
    return this.#emit(seq, tsRel, undefined, NaN, playout, true);
  }

  #emit(
    seq: number,
    tsRel: number,
    item: T | undefined,
    arrival: number,
    playout: number,
    concealed: boolean,
  ): PulledFrame<T> {
    const out = this.#out;
    this.#emittedAny = true;
    this.#lastOutTsRel = tsRel;
    this.#nextSeq = seqNext32(seq);
    out.seq = seq;
    out.mediaTsMs = this.#lastOutRaw;
    out.item = item;
    out.concealed = concealed;
    out.concealRun = this.#concealRun;
    out.arrivalMs = arrival;
    out.playoutMs = playout;
    return out;
  }

  #lateArrival(slot: number, state: number): PushResult {
    if (state === MISSED) {
      this.#n.lost--;
      this.#slotState[slot] = LATE;
    }
    this.#n.late++;
    return 'late';
  }

  /** End of a concealment run: jump to the next buffered frame, if any. */
  #jumpToBuffered(): boolean {
    const cap = this.#o.capacity;
    for (let k = 1; k < cap; k++) {
      const seq = seqNext32(this.#nextSeq, k);
      const slot = seq & this.#mask;
      if (this.#slotState[slot] === BUFFERED && this.#slotSeq[slot] === seq) {
        for (let j = 0; j < k; j++) {
          const s = seqNext32(this.#nextSeq, j);
          this.#slotSeq[s & this.#mask] = s;
          this.#slotState[s & this.#mask] = MISSED;
        }
        this.#n.lost += k;
        this.#nextSeq = seq;
        this.#lastOutTsRel = (this.#slotTsRel[slot] ?? 0) - this.#o.frameMs;
        this.#lastOutRaw = (this.#slotTsRaw[slot] ?? 0) - this.#o.frameMs;
        this.#concealRun = 0;
        return true;
      }
    }
    return false;
  }

  #resyncAt(seq: number, tsRel: number, mediaTsMs: number, transit: number, d: number): void {
    const n = this.#n;
    n.resyncs++;
    if (d > 0) {
      n.skipped += d;
    }
    this.#stalled = false;
    this.#concealRun = 0;
    this.#nextSeq = seq;
    this.#highestSeq = seq;
    this.#lastOutTsRel = tsRel - this.#o.frameMs;
    this.#lastOutRaw = mediaTsMs - this.#o.frameMs;
    // Play this frame as if it had the minimum transit; the excess shrinks like a target drop.
    this.#offsetMs = Math.max(
      this.#offsetMs,
      transit + this.#delay.targetMs - this.#o.pullPeriodMs,
    );
  }
}
