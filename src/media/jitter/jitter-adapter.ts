import { bytesPerFrame, type AudioFrame } from '../../frames/frames.js';
import { FixedBuffer } from './fixed-buffer.js';
import {
  JitterBuffer,
  type JitterBufferOptions,
  type JitterStats,
  type PulledFrame,
  type PushResult,
} from './jitter-buffer.js';
import { zeroCounters } from './jitter-types.js';

export type JitterMode = 'adaptive' | 'fixed' | 'off';

/** 'fade': repeat the last real frame at −6 dB per concealed slot, silence after 4; 'silence'. */
export type ConcealmentMode = 'fade' | 'silence';

export interface JitterAdapterOptions {
  /** Relay clock, read once per push for the arrival time. */
  readonly clock: () => number;
  /** Receives frames in strict seq order (real ones are the pushed objects, unchanged). */
  readonly sink: (frame: AudioFrame) => void;
  readonly mode?: JitterMode;
  /** Delay of the 'fixed' mode. */
  readonly fixedDelayMs?: number;
  readonly buffer?: JitterBufferOptions;
  readonly concealment?: ConcealmentMode;
  /** Size of concealed frames before any real frame was seen. */
  readonly sampleRateHz?: number;
}

export const DEFAULT_FIXED_DELAY_MS = 60;
const FADE_FRAMES = 4;

/**
 * Thin adapter between a session and the pure jitter buffer. It owns no timer: the relay's
 * shared ticker calls `tick(nowMs)` every 20 ms, which drains every due slot into the sink.
 * The media timestamp of a frame is its `captureTsMs`. Mode 'off' passes frames to the sink
 * synchronously in arrival order (no dedup, no reordering) — a baseline for benchmarks.
 */
export class JitterAdapter {
  readonly mode: JitterMode;
  readonly #clock: () => number;
  readonly #sink: (frame: AudioFrame) => void;
  readonly #buffer: JitterBuffer<AudioFrame> | undefined;
  readonly #concealment: ConcealmentMode;
  readonly #defaultBytes: number;
  #lastPayload: Buffer | undefined;
  #passed = 0;

  constructor(options: JitterAdapterOptions) {
    this.mode = options.mode ?? 'adaptive';
    this.#clock = options.clock;
    this.#sink = options.sink;
    this.#concealment = options.concealment ?? 'fade';
    this.#defaultBytes = bytesPerFrame(options.sampleRateHz ?? 16_000);
    const bufferOptions = options.buffer ?? {};
    if (this.mode === 'adaptive') {
      this.#buffer = new JitterBuffer<AudioFrame>(bufferOptions);
    } else if (this.mode === 'fixed') {
      const delayMs = options.fixedDelayMs ?? DEFAULT_FIXED_DELAY_MS;
      this.#buffer = new FixedBuffer<AudioFrame>(delayMs, bufferOptions);
    }
  }

  push(frame: AudioFrame): PushResult {
    if (this.#buffer === undefined) {
      this.#passed++;
      this.#sink(frame);
      return 'accepted';
    }
    return this.#buffer.push(frame, frame.seq, frame.captureTsMs, this.#clock());
  }

  /** Hand every due slot to the sink; returns how many frames were emitted. */
  tick(nowMs: number): number {
    const buffer = this.#buffer;
    if (buffer === undefined) {
      return 0;
    }
    let emitted = 0;
    for (let p = buffer.pull(nowMs); p !== undefined; p = buffer.pull(nowMs)) {
      emitted++;
      if (p.concealed || p.item === undefined) {
        this.#sink(this.#concealed(p, nowMs));
      } else {
        this.#lastPayload = p.item.payload;
        this.#sink(p.item);
      }
    }
    return emitted;
  }

  stats(): JitterStats {
    if (this.#buffer !== undefined) {
      return this.#buffer.stats();
    }
    const n = this.#passed;
    return {
      ...zeroCounters(),
      received: n,
      accepted: n,
      released: n,
      jitterMs: 0,
      targetDelayMs: 0,
      currentDelayMs: 0,
      meanAddedDelayMs: 0,
    };
  }

  /** Forget the stream (e.g. the client reconnected with new seqs); counters are kept. */
  reset(): void {
    this.#buffer?.reset();
    this.#lastPayload = undefined;
  }

  #concealed(p: PulledFrame<AudioFrame>, nowMs: number): AudioFrame {
    const last = this.#lastPayload;
    const bytes = last?.length ?? this.#defaultBytes;
    let payload: Buffer;
    if (this.#concealment === 'silence' || last === undefined || p.concealRun > FADE_FRAMES) {
      payload = Buffer.alloc(bytes);
    } else {
      payload = Buffer.allocUnsafe(bytes);
      const shift = p.concealRun; // gain 2^-run: −6 dB per concealed slot
      const samples = bytes >> 1;
      for (let i = 0; i < samples; i++) {
        payload.writeInt16LE(last.readInt16LE(i << 1) >> shift, i << 1);
      }
      if (bytes & 1) {
        payload[bytes - 1] = 0;
      }
    }
    return {
      seq: p.seq,
      captureTsMs: p.mediaTsMs,
      arrivalTsMs: nowMs,
      payload,
      concealed: true,
    };
  }
}
