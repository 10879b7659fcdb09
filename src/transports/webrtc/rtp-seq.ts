/**
 * RTP counters on the receive side: 16-bit sequence numbers and 32-bit timestamps wrap,
 * so each is extended to an unbounded count (a safe integer) relative to the highest value
 * seen. Pure, no clocks.
 */

const U32 = 0x1_0000_0000;

/** Extends a wrapping `bits`-bit counter to a monotonic-domain integer. */
export class Unwrapper {
  readonly #mod: number;
  readonly #half: number;
  #highest = NaN;

  constructor(bits: 16 | 32) {
    this.#mod = bits === 16 ? 0x1_0000 : U32;
    this.#half = this.#mod / 2;
  }

  /** The highest extended value seen (NaN before the first). */
  get highest(): number {
    return this.#highest;
  }

  /**
   * The extended value of `raw`: the one nearest to the highest seen so far (so a late
   * packet from before a wrap maps below it, and one after the wrap maps above). The first
   * value is placed one cycle up, so a reordered packet from just before it stays ≥ 0.
   */
  unwrap(raw: number): number {
    const mod = this.#mod;
    const v = raw - Math.floor(raw / mod) * mod;
    if (this.#highest !== this.#highest) {
      this.#highest = v + mod;
      return this.#highest;
    }
    const low = this.#highest % mod;
    let d = (v - low + mod) % mod;
    if (d >= this.#half) {
      d -= mod;
    }
    const ext = this.#highest + d;
    if (ext > this.#highest) {
      this.#highest = ext;
    }
    return ext;
  }
}

/** `n` modulo 2^32 as an unsigned integer (also for negative n). */
export function toU32(n: number): number {
  return n - Math.floor(n / U32) * U32;
}

export type RtpArrivalKind = 'ok' | 'duplicate' | 'too_old';

export interface RtpArrival {
  kind: RtpArrivalKind;
  /** Extended sequence number (unbounded). */
  extSeq: number;
  /** Extended timestamp in clock ticks (unbounded). */
  extTs: number;
  /** Media time in ms since the first packet's timestamp (ticks / clock rate). */
  mediaMs: number;
  /**
   * u32 index of the 20 ms frame this packet starts, counted from the first packet by its
   * timestamp: a DTX pause or a lost packet becomes a gap in the index, a 40 ms packet
   * covers two indices.
   */
  frameSeq: number;
}

export interface RtpReceiveStats {
  received: number;
  duplicates: number;
  tooOld: number;
  reordered: number;
  /** Packets the sender numbered from the first to the highest seen. */
  expected: number;
  /** expected − unique packets received (never negative). */
  lost: number;
}

/**
 * Receive-side bookkeeping of one RTP stream: extends seq and timestamp, rejects
 * duplicates and packets older than the reorder window, and maps timestamps to media ms
 * and to 20 ms frame indices for the relay's jitter buffer.
 */
export class RtpReceiveState {
  readonly clockRate: number;
  readonly frameTicks: number;
  readonly #window: number;
  readonly #seen: Uint8Array;
  readonly #seenSeq: Float64Array;
  readonly #seq = new Unwrapper(16);
  readonly #ts = new Unwrapper(32);
  #firstSeq = NaN;
  #ts0 = NaN;
  #unique = 0;
  readonly #stats = { received: 0, duplicates: 0, tooOld: 0, reordered: 0 };

  /**
   * @param clockRate RTP clock (48000 for Opus, whatever the audio rate).
   * @param frameMs duration of one relay frame.
   * @param window how far behind the highest seq a packet may arrive and still be used.
   */
  constructor(clockRate = 48_000, frameMs = 20, window = 128) {
    this.clockRate = clockRate;
    this.frameTicks = (clockRate * frameMs) / 1000;
    this.#window = window;
    this.#seen = new Uint8Array(window);
    this.#seenSeq = new Float64Array(window).fill(-1);
  }

  accept(seq16: number, ts32: number): RtpArrival {
    this.#stats.received++;
    const prevHighest = this.#seq.highest;
    const extSeq = this.#seq.unwrap(seq16);
    const extTs = this.#ts.unwrap(ts32);
    if (this.#firstSeq !== this.#firstSeq) {
      this.#firstSeq = extSeq;
      this.#ts0 = extTs;
    }
    const mediaTicks = extTs - this.#ts0;
    const arrival: RtpArrival = {
      kind: 'ok',
      extSeq,
      extTs,
      mediaMs: (mediaTicks * 1000) / this.clockRate,
      frameSeq: toU32(Math.round(mediaTicks / this.frameTicks)),
    };
    const highest = this.#seq.highest;
    if (extSeq <= highest - this.#window) {
      this.#stats.tooOld++;
      arrival.kind = 'too_old';
      return arrival;
    }
    const slot = extSeq % this.#window;
    if (this.#seen[slot] === 1 && this.#seenSeq[slot] === extSeq) {
      this.#stats.duplicates++;
      arrival.kind = 'duplicate';
      return arrival;
    }
    if (prevHighest === prevHighest && extSeq < prevHighest) {
      this.#stats.reordered++;
    }
    this.#seen[slot] = 1;
    this.#seenSeq[slot] = extSeq;
    if (extSeq < this.#firstSeq) {
      this.#firstSeq = extSeq;
    }
    this.#unique++;
    return arrival;
  }

  stats(): RtpReceiveStats {
    const expected = this.#firstSeq === this.#firstSeq ? this.#seq.highest - this.#firstSeq + 1 : 0;
    return { ...this.#stats, expected, lost: Math.max(0, expected - this.#unique) };
  }
}

/**
 * Send-side RTP timeline of one stream: +`frameTicks` per packet, a marker bit on the
 * first packet of each talkspurt, and at a talkspurt start the timestamp jumps to match
 * the wall clock (so a pause is a timestamp gap, never a compressed one). Sequence numbers
 * never skip. Pure: the caller passes the time.
 */
export class RtpSendClock {
  readonly frameMs: number;
  readonly frameTicks: number;
  #seq: number;
  readonly #ts0: number;
  #t0 = NaN;
  /** Index of the last packet's frame slot on the t0 grid (−1 = nothing sent). */
  #k = -1;

  constructor(initialSeq: number, initialTs: number, clockRate = 48_000, frameMs = 20) {
    this.frameMs = frameMs;
    this.frameTicks = (clockRate * frameMs) / 1000;
    this.#seq = initialSeq & 0xffff;
    this.#ts0 = toU32(initialTs);
  }

  get started(): boolean {
    return this.#k >= 0;
  }

  /** When the slot after the last packet is due (NaN before the first packet). */
  nextDueMs(): number {
    return this.#t0 + (this.#k + 1) * this.frameMs;
  }

  /**
   * Header fields of the next packet sent at `nowMs`. `resync`: a new talkspurt starts, so
   * the slot is the later of (next slot, the wall-clock slot of now).
   */
  next(nowMs: number, resync: boolean): { seq: number; ts: number } {
    if (this.#k < 0) {
      this.#t0 = nowMs;
      this.#k = 0;
    } else {
      let k = this.#k + 1;
      if (resync) {
        k = Math.max(k, Math.round((nowMs - this.#t0) / this.frameMs));
      }
      this.#k = k;
    }
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) & 0xffff;
    return { seq, ts: toU32(this.#ts0 + this.#k * this.frameTicks) };
  }

  /** Skip ahead (no packet) so that the next due slot is after `nowMs` (after a stall). */
  skipTo(nowMs: number): void {
    if (this.#k >= 0) {
      this.#k = Math.max(this.#k, Math.floor((nowMs - this.#t0) / this.frameMs));
    }
  }
}
