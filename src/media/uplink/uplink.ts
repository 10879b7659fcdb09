import { FRAME_MS, type AudioFrame } from '../../frames/frames.js';
import { JitterAdapter } from '../jitter/jitter-adapter.js';
import type { JitterStats, PushResult } from '../jitter/jitter-types.js';
import { zeroCounters } from '../jitter/jitter-types.js';
import { ReorderBuffer, type ReorderBufferOptions } from './reorder-buffer.js';

/** The session's uplink stage between the transport and the pipeline (STT path). */
export interface UplinkBuffer {
  /** One frame as the transport received it (any order, maybe duplicated). */
  push(frame: AudioFrame): PushResult;
  /** From the shared ticker: frames whose wait is over go on; returns how many went. */
  tick(nowMs: number): number;
  stats(): JitterStats;
  reset(): void;
}

export interface UplinkReorderOptions extends Omit<ReorderBufferOptions, 'capacity'> {
  /** Relay clock, read once per push. */
  readonly clock: () => number;
  /** Receives frames in strict seq order, each exactly once, as soon as they are contiguous. */
  readonly sink: (frame: AudioFrame) => void;
  /** Memory budget: audio held while waiting for a gap, in ms. */
  readonly bufferMs: number;
}

/**
 * The STT uplink: a reorder buffer, not a playout device. Frames are the pushed objects,
 * unchanged (no concealment: a frame that never came is a seq gap the STT sees as such).
 */
export class UplinkReorder implements UplinkBuffer {
  readonly #clock: () => number;
  readonly #buffer: ReorderBuffer<AudioFrame>;
  readonly #sink: (frame: AudioFrame) => void;
  #emitted = 0;
  #addedSumMs = 0;
  #nowMs = 0;

  constructor(o: UplinkReorderOptions) {
    this.#clock = o.clock;
    this.#sink = o.sink;
    const capacity = Math.max(2, Math.ceil(o.bufferMs / FRAME_MS));
    const options: ReorderBufferOptions = { capacity };
    if (o.startWaitMs !== undefined) {
      options.startWaitMs = o.startWaitMs;
    }
    if (o.minWaitMs !== undefined) {
      options.minWaitMs = o.minWaitMs;
    }
    if (o.maxWaitMs !== undefined) {
      options.maxWaitMs = o.maxWaitMs;
    }
    if (o.decay !== undefined) {
      options.decay = o.decay;
    }
    this.#buffer = new ReorderBuffer<AudioFrame>(options, (f) => this.#out(f));
  }

  push(frame: AudioFrame): PushResult {
    this.#nowMs = this.#clock();
    return this.#buffer.push(frame, frame.seq, this.#nowMs);
  }

  tick(nowMs: number): number {
    this.#nowMs = nowMs;
    const before = this.#emitted;
    this.#buffer.tick(nowMs);
    return this.#emitted - before;
  }

  stats(): JitterStats {
    const c = this.#buffer.counters();
    const wait = this.#buffer.waitMs;
    return {
      ...zeroCounters(),
      received: c.received,
      accepted: c.accepted,
      duplicates: c.duplicates,
      late: c.late,
      lost: c.lost,
      reordered: c.reordered,
      overflow: c.overflowSkips,
      resyncs: c.resyncs,
      released: c.released,
      buffered: c.buffered,
      jitterMs: 0,
      targetDelayMs: wait,
      currentDelayMs: wait,
      meanAddedDelayMs: this.#emitted === 0 ? 0 : this.#addedSumMs / this.#emitted,
    };
  }

  reset(): void {
    this.#buffer.reset();
  }

  #out(frame: AudioFrame): void {
    this.#emitted++;
    this.#addedSumMs += this.#nowMs - frame.arrivalTsMs;
    this.#sink(frame);
  }
}

/** The uplink settings of a pipeline (`jitter` and `uplink` blocks). */
export interface UplinkConfig {
  jitter: {
    mode: 'reorder' | 'adaptive' | 'fixed' | 'off';
    startDelayMs: number;
    minDelayMs: number;
    maxDelayMs: number;
    quantile: number;
  };
  uplink: { bufferSeconds: number; startWaitMs: number; minWaitMs: number; maxWaitMs: number };
  audio: { sampleRateHz: number };
}

/**
 * The uplink a pipeline asks for: `reorder` (default, for STT) or one of the playout-style
 * jitter buffers kept for comparison (`adaptive`, `fixed`, `off`).
 */
export function createUplink(
  config: UplinkConfig,
  clock: () => number,
  sink: (frame: AudioFrame) => void,
): UplinkBuffer {
  const j = config.jitter;
  const u = config.uplink;
  if (j.mode === 'reorder') {
    return new UplinkReorder({
      clock,
      sink,
      bufferMs: u.bufferSeconds * 1000,
      startWaitMs: u.startWaitMs,
      minWaitMs: u.minWaitMs,
      maxWaitMs: u.maxWaitMs,
    });
  }
  return new JitterAdapter({
    clock,
    sink,
    mode: j.mode,
    fixedDelayMs: j.startDelayMs,
    sampleRateHz: config.audio.sampleRateHz,
    buffer: {
      startDelayMs: j.startDelayMs,
      minDelayMs: j.minDelayMs,
      maxDelayMs: j.maxDelayMs,
      quantile: j.quantile,
    },
  });
}
