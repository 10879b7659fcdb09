import { FRAME_MS } from '../../frames/frames.js';

/** Options, results and stats of the jitter buffer (`jitter-buffer.ts`). */

export type PushResult = 'accepted' | 'duplicate' | 'late' | 'overflow';

export interface JitterBufferOptions {
  /** Media duration of one frame. */
  frameMs?: number;
  /** Interval between the caller's pulls (counted inside the target delay). */
  pullPeriodMs?: number;
  /**
   * Max frames held = reorder window (≤ 1024). Overflow policy: a frame `capacity` or more
   * seqs ahead of the playout seq is dropped (drop newest, `overflow`), so one bogus seq can
   * never flush good audio.
   */
  capacity?: number;
  /**
   * Quantile q of relative delay that is never concealed. The target is
   * q-quantile + pullPeriodMs − lateGraceMs: frames up to the quantile are either on time or
   * rescued by the grace. So 1 − q is the late-loss the controller aims at (default 1 %).
   */
  quantile?: number;
  /** Width of the delay-histogram buckets. */
  bucketMs?: number;
  /** Histogram forget factor per sample (time constant 1/(1−f) frames; 0.998 ≈ 10 s). */
  forgetFactor?: number;
  /** Floor of the target (≈ one frame). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Target until `warmupFrames` delay samples were seen. */
  startDelayMs?: number;
  warmupFrames?: number;
  /**
   * Target drops are applied at most this fast (ms of delay per second of pull time):
   * frames are then handed over slightly faster than real time, time never goes backwards.
   * Target increases apply at once (output pauses while playout points move later).
   */
  shrinkMsPerS?: number;
  /**
   * A missing frame is waited for this long past its playout point before its slot is
   * concealed; a frame arriving after that is dropped (`late`). ≤ frameMs never holds up
   * the frames behind it.
   */
  lateGraceMs?: number;
  /**
   * Long-gap policy: after this many consecutive concealed slots, playout jumps to the next
   * buffered frame (jumped slots count as lost) or, with nothing buffered, stalls (emits
   * nothing). The next arrival at or ahead of the playout seq resumes playout on itself
   * (`resyncs`; seqs jumped over count as `skipped`, not lost: the sender may have paused).
   * Caveat, RTP-style DTX (seq continues across the pause): the first frames after it carry
   * seqs already concealed and are dropped as late (at most this many).
   */
  maxConcealRun?: number;
  /**
   * The anchor (minimum transit) follows a new minimum at once; it is raised when no frame
   * in a window of this many came within one bucket of it (clock drift, route change).
   */
  anchorWindowFrames?: number;
  /**
   * A transit this far off the anchor is a sender clock jump: with the seq inside the window
   * (or while stalled) it re-initialises the buffer; such a frame is never a delay sample.
   */
  resyncThresholdMs?: number;
  /** When set, the target is this constant (fixed-delay buffer). */
  fixedDelayMs?: number;
}

export const DEFAULT_JITTER_OPTIONS = {
  frameMs: FRAME_MS,
  pullPeriodMs: FRAME_MS,
  capacity: 50,
  quantile: 0.99,
  bucketMs: 1,
  forgetFactor: 0.998,
  minDelayMs: 20,
  maxDelayMs: 200,
  startDelayMs: 40,
  warmupFrames: 25,
  shrinkMsPerS: 20,
  lateGraceMs: FRAME_MS,
  maxConcealRun: 10,
  anchorWindowFrames: 250,
  resyncThresholdMs: 1000,
} as const satisfies Required<Omit<JitterBufferOptions, 'fixedDelayMs'>>;

export type ResolvedJitterOptions = Required<Omit<JitterBufferOptions, 'fixedDelayMs'>>;

/** Defaults applied and validated (throws RangeError). */
export function resolveJitterOptions(options: JitterBufferOptions): ResolvedJitterOptions {
  const o = { ...DEFAULT_JITTER_OPTIONS, ...options }; // fixedDelayMs rides along, unused
  if (!Number.isInteger(o.capacity) || o.capacity < 2 || o.capacity > 1024) {
    throw new RangeError('capacity must be an integer in [2, 1024]');
  }
  if (!(o.quantile > 0 && o.quantile < 1)) {
    throw new RangeError('quantile must be in (0, 1)');
  }
  if (!(o.minDelayMs >= 0 && o.maxDelayMs >= o.minDelayMs && o.frameMs > 0)) {
    throw new RangeError('need 0 <= minDelayMs <= maxDelayMs and frameMs > 0');
  }
  o.startDelayMs = Math.min(o.maxDelayMs, Math.max(o.minDelayMs, o.startDelayMs));
  return o;
}

/** One slot of output. The object is reused: valid until the next `pull`. */
export interface PulledFrame<T> {
  readonly seq: number;
  /** Media timestamp in the caller's domain (concealed: previous + frameMs, not wrapped). */
  readonly mediaTsMs: number;
  /** The pushed item; undefined when concealed. */
  readonly item: T | undefined;
  readonly concealed: boolean;
  /** 1-based index of this slot in the current run of concealed slots; 0 for real frames. */
  readonly concealRun: number;
  /** Arrival time; NaN when concealed. */
  readonly arrivalMs: number;
  /** Scheduled playout point of the slot. */
  readonly playoutMs: number;
}

export interface JitterCounters {
  /** Every push. */
  received: number;
  accepted: number;
  duplicates: number;
  /** Arrived after their slot was concealed or played; dropped. */
  late: number;
  /** Slots given up on (concealed or jumped) whose frame never arrived. */
  lost: number;
  concealed: number;
  /** Seqs jumped over when playout resumed after a stall. */
  skipped: number;
  /** Arrived with a seq lower than one already received. */
  reordered: number;
  overflow: number;
  /** Buffered frames discarded by reset or re-initialisation. */
  flushed: number;
  stalls: number;
  resyncs: number;
  /** Real frames handed out. */
  released: number;
  buffered: number;
}

export interface JitterStats extends JitterCounters {
  /** RFC 3550 interarrival jitter (J += (|D| − J) / 16), ms. */
  jitterMs: number;
  targetDelayMs: number;
  /** Delay applied now (lags a falling target, see `shrinkMsPerS`). */
  currentDelayMs: number;
  /** Mean of (pull time − arrival time) over released frames. */
  meanAddedDelayMs: number;
}

export function zeroCounters(): JitterCounters {
  return {
    received: 0,
    accepted: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    concealed: 0,
    skipped: 0,
    reordered: 0,
    overflow: 0,
    flushed: 0,
    stalls: 0,
    resyncs: 0,
    released: 0,
    buffered: 0,
  };
}
