/**
 * Carrier media → the pipeline's 20 ms PCM16LE frames for one call: chunks put back in order
 * by the carrier's numbers, decoded, resampled and re-framed without loss, with capture times
 * on the relay clock. Pure: no I/O, no timers; the arrival time is passed in.
 */
import { FRAME_MS, bytesPerFrame, type AudioFrame } from '../../../frames/frames.js';
import { Resampler } from '../../../media/resample/resampler.js';
import { ReorderBuffer } from '../../../media/uplink/reorder-buffer.js';
import type { CarrierMediaFormat } from '../types.js';
import {
  bytesPerSample,
  decodeCarrier,
  isConvertible,
  type ConvertibleEncoding,
} from './audio-convert.js';

/**
 * The carrier's chunk reorder: most chunks held while a gap is waited for (about 20 s of
 * 20 ms chunks; far more than any carrier reorders, still a bounded budget per call).
 */
const REORDER_CAPACITY_CHUNKS = 1024;

const EMPTY = Buffer.alloc(0);

/** A chunk's codec bytes waiting for the chunks numbered before it. */
interface HeldChunk {
  readonly bytes: Buffer;
  readonly arrivalMs: number;
}

export interface InboundResult {
  kind: 'frames';
  frames: AudioFrame[];
  /** This message's audio was not used: a repeated chunk number, or too late to place. */
  dropped?: 'duplicate' | 'late';
}

export interface InboundAudioOptions {
  format: CarrierMediaFormat;
  pipelineRateHz: number;
}

/**
 * Carrier media → 20 ms pipeline frames for one call. `push` takes one media message's
 * payload with its chunk number (when the carrier numbers them) and the arrival time.
 *
 * Numbered chunks are put back in order by their number from the very first one (a chunk
 * numbered before the first to arrive is still placed) with the uplink reorder buffer, its
 * gap wait measured in the media that arrived behind the gap (see `#mediaClock`), then
 * decoded, resampled and cut into frames as one continuous stream, whatever their length:
 * a chunk that ends inside a sample (odd byte counts) leaves its last bytes for the next.
 * Frame seqs stay contiguous. A chunk given up on ends the audio before it (the resampler's
 * tail and the last partial frame, padded with silence, still go out) and moves the media
 * clock on by its estimated duration, so clock points stay true.
 *
 * Capture times: a chunk cannot arrive before its last sample was captured, so the
 * smallest (arrival − media end) over the chunks is the stream's offset to the relay clock
 * and a frame's capture time is its media time plus that offset. A burst (100 ms chunks,
 * a backlog after a stall) therefore keeps its frames 20 ms apart in capture time.
 */
export class InboundAudio {
  readonly format: CarrierMediaFormat;
  readonly #encoding: ConvertibleEncoding;
  /** Bytes of one sample of every channel. */
  readonly #stride: number;
  readonly #frameBytes: number;
  readonly #resampler: Resampler;
  readonly #reorder: ReorderBuffer<HeldChunk>;
  /** Codec bytes short of a whole sample, joined to the next chunk. */
  #partial: Buffer = EMPTY;
  /** Pipeline-rate PCM waiting to make a whole frame. */
  #carry: Buffer = EMPTY;
  /** Seq of the next frame out (contiguous). */
  #nextSeq = 0;
  /** Media time (ms since the stream's start) of the next frame's first sample. */
  #mediaMs = 0;
  /** Carrier-rate samples of the stream so far, chunks given up on included (estimated). */
  #streamSamples = 0;
  #lastChunk: number | undefined;
  /** Highest chunk number seen, and the media clock of the reorder (see `#mediaClock`). */
  #highestChunk: number | undefined;
  #clockMs = 0;
  readonly #bytesPerMs: number;
  /** Samples of the last chunk, the estimate for a chunk that never came. */
  #lastChunkSamples: number;
  /** Smallest (arrival − media end) seen: relay clock = media time + offset. */
  #offsetMs = Infinity;
  #lastCaptureMs = -Infinity;
  #out: AudioFrame[] = [];
  #arrivalMs = 0;
  #framesOut = 0;
  #gaps = 0;
  #lateChunks = 0;

  constructor(o: InboundAudioOptions) {
    if (!isConvertible(o.format.encoding)) {
      throw new RangeError(`cannot decode ${o.format.encoding}`);
    }
    this.format = o.format;
    this.#encoding = o.format.encoding;
    this.#stride = bytesPerSample(this.#encoding) * Math.max(1, o.format.channels);
    this.#frameBytes = bytesPerFrame(o.pipelineRateHz);
    this.#lastChunkSamples = (o.format.sampleRateHz * FRAME_MS) / 1000;
    this.#bytesPerMs = (this.#stride * o.format.sampleRateHz) / 1000;
    this.#resampler = new Resampler(o.format.sampleRateHz, o.pipelineRateHz, { quality: 'low' });
    this.#reorder = new ReorderBuffer<HeldChunk>({ capacity: REORDER_CAPACITY_CHUNKS }, (c, n) =>
      this.#inOrder(c.bytes, n, c.arrivalMs),
    );
  }

  /** Chunks that arrived behind a later chunk number. */
  get reordered(): number {
    return this.#reorder.reordered;
  }

  get stats(): { framesOut: number; gaps: number; lateChunks: number } {
    return { framesOut: this.#framesOut, gaps: this.#gaps, lateChunks: this.#lateChunks };
  }

  push(payload: Buffer, chunk: number | undefined, arrivalMs: number): InboundResult {
    const out: AudioFrame[] = [];
    this.#out = out;
    if (chunk === undefined) {
      this.#inOrder(payload, undefined, arrivalMs);
      return { kind: 'frames', frames: out };
    }
    const clockMs = this.#mediaClock(payload.length, chunk);
    this.#reorder.tick(clockMs);
    const r = this.#reorder.push({ bytes: payload, arrivalMs }, chunk, clockMs);
    if (r === 'accepted') {
      return { kind: 'frames', frames: out };
    }
    if (r === 'late') {
      this.#lateChunks++;
    }
    return { kind: 'frames', frames: out, dropped: r };
  }

  /**
   * The clock of the chunk reorder: media time of the highest chunk number seen. Carriers
   * stream continuously, so a gap is waited for until that much later audio has arrived
   * (the reorder depth, measured in media), not for a span of wall time: a stall of the
   * event loop, or the carrier's, bunches arrivals without making a chunk look late.
   */
  #mediaClock(bytes: number, chunk: number): number {
    const high = this.#highestChunk;
    if (high === undefined) {
      this.#highestChunk = chunk;
      return this.#clockMs;
    }
    const ahead = (chunk - high) | 0;
    if (ahead > 0) {
      this.#highestChunk = chunk;
      this.#clockMs += (ahead * bytes) / this.#bytesPerMs;
    }
    return this.#clockMs;
  }

  /** The next chunk in order (`chunk` undefined for carriers that do not number them). */
  #inOrder(bytes: Buffer, chunk: number | undefined, arrivalMs: number): void {
    this.#arrivalMs = arrivalMs;
    if (chunk !== undefined) {
      const last = this.#lastChunk;
      const missing = last === undefined ? 0 : (chunk - last - 1) >>> 0;
      if (missing > 0) {
        this.#gap(missing);
      }
      this.#lastChunk = chunk;
    }
    const data = this.#partial.length === 0 ? bytes : Buffer.concat([this.#partial, bytes]);
    const whole = data.length - (data.length % this.#stride);
    this.#partial = whole === data.length ? EMPTY : Buffer.from(data.subarray(whole));
    if (whole === 0) {
      return;
    }
    const decoded = decodeCarrier(this.#encoding, this.format.channels, data.subarray(0, whole));
    if (!decoded.ok) {
      return; // unreachable: `whole` is a whole number of samples
    }
    const samples = decoded.pcm.length >> 1;
    this.#lastChunkSamples = samples;
    this.#streamSamples += samples;
    const endMs = (this.#streamSamples * 1000) / this.format.sampleRateHz;
    this.#offsetMs = Math.min(this.#offsetMs, arrivalMs - endMs);
    this.#frames(this.#resampler.process(decoded.pcm), false);
  }

  /**
   * Chunks given up on: the audio before them ends here (the resampler's tail and the last
   * partial frame go out, padded with silence), the media clock moves on by their duration.
   */
  #gap(missing: number): void {
    this.#gaps++;
    this.#partial = EMPTY;
    this.#frames(this.#resampler.flush(), true);
    this.#streamSamples += missing * this.#lastChunkSamples;
    const resumeMs = (this.#streamSamples * 1000) / this.format.sampleRateHz;
    this.#mediaMs = Math.max(this.#mediaMs, resumeMs);
  }

  /** Cut pipeline-rate PCM into frames; `pad` ends the stream with a last padded frame. */
  #frames(pcm: Buffer, pad: boolean): void {
    let data = this.#carry.length === 0 ? pcm : Buffer.concat([this.#carry, pcm]);
    const fb = this.#frameBytes;
    if (pad && data.length % fb !== 0) {
      const padded = Buffer.alloc(data.length + fb - (data.length % fb));
      data.copy(padded);
      data = padded;
    }
    let off = 0;
    while (data.length - off >= fb) {
      this.#out.push(this.#frame(data.subarray(off, off + fb)));
      off += fb;
    }
    this.#carry = off === data.length ? EMPTY : Buffer.from(data.subarray(off));
  }

  #frame(view: Buffer): AudioFrame {
    this.#framesOut++;
    const mediaMs = this.#mediaMs;
    this.#mediaMs += FRAME_MS;
    const seq = this.#nextSeq;
    this.#nextSeq = (seq + 1) >>> 0;
    // A smaller offset found later never moves capture time backwards.
    const captureTsMs = Math.max(this.#lastCaptureMs, mediaMs + this.#offsetMs);
    this.#lastCaptureMs = captureTsMs;
    return {
      seq,
      captureTsMs,
      arrivalTsMs: this.#arrivalMs,
      payload: Buffer.from(view),
      concealed: false,
    };
  }
}
