import { designBank, type PolyphaseBank, type ResamplerQuality } from './filter-design.js';

export interface ResamplerOptions {
  /** Filter quality (see RESAMPLER_QUALITY). Default 'medium'. */
  quality?: ResamplerQuality;
}

const EMPTY = Buffer.alloc(0);

/**
 * Streaming polyphase FIR resampler for PCM16LE mono.
 *
 * Causal with a fixed delay: output sample n represents input time (n − delaySamples) / toHz.
 * `process` returns every output sample whose newest input is available, so chunk boundaries
 * do not matter: any split of the input gives sample-identical output to one call. After
 * `flush`, the total output is ⌈inputSamples · toHz / fromHz⌉ + delaySamples; drop the first
 * `delaySamples` for a time-aligned signal of the input's duration. A 20 ms frame at any of
 * 8000/16000/22050/24000/48000 Hz yields exactly 20 ms of output per call.
 *
 * Same rate: `process` returns its input (no copy), delay 0, `flush` returns an empty buffer.
 */
export class Resampler {
  readonly fromHz: number;
  readonly toHz: number;
  readonly quality: ResamplerQuality;
  /** Group delay of the filter in output samples (integer). */
  readonly delaySamples: number;

  readonly #bank: PolyphaseBank | undefined;
  readonly #taps: number;
  readonly #hist: number;
  readonly #stepWhole: number;
  readonly #stepFrac: number;
  /** Input history (K − 1 samples) followed by the current chunk. */
  #work: Float64Array;
  /** Work index of the newest input sample used by the next output. */
  #pos: number;
  /** Polyphase index of the next output, 0 ≤ phase < L. */
  #phase = 0;
  #fed = false;

  constructor(fromHz: number, toHz: number, options: ResamplerOptions = {}) {
    for (const rate of [fromHz, toHz]) {
      if (!Number.isSafeInteger(rate) || rate <= 0) {
        throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
      }
    }
    this.fromHz = fromHz;
    this.toHz = toHz;
    this.quality = options.quality ?? 'medium';
    if (fromHz === toHz) {
      this.#bank = undefined;
      this.#taps = 1;
      this.delaySamples = 0;
      this.#stepWhole = 1;
      this.#stepFrac = 0;
    } else {
      const bank = designBank(fromHz, toHz, this.quality);
      this.#bank = bank;
      this.#taps = bank.tapsPerPhase;
      this.delaySamples = bank.delay;
      this.#stepWhole = Math.floor(bank.down / bank.up);
      this.#stepFrac = bank.down % bank.up;
    }
    this.#hist = this.#taps - 1;
    this.#work = new Float64Array(this.#hist + 1024);
    this.#pos = this.#hist;
  }

  /** Filter delay in milliseconds. */
  get delayMs(): number {
    return (this.delaySamples * 1000) / this.toHz;
  }

  /** Taps per polyphase branch (multiply-adds per output sample). */
  get tapsPerPhase(): number {
    return this.#bank === undefined ? 0 : this.#taps;
  }

  /** Exact number of output samples the next `process` call makes for `inputSamples`. */
  outputSamplesFor(inputSamples: number): number {
    const bank = this.#bank;
    if (bank === undefined) {
      return inputSamples;
    }
    const avail = (this.#hist + inputSamples - this.#pos) * bank.up - this.#phase;
    return avail <= 0 ? 0 : Math.ceil(avail / bank.down);
  }

  /** Resamples a chunk; returns a new buffer (or the input itself at the same rate). */
  process(pcm16: Buffer): Buffer {
    if (this.#bank === undefined) {
      checkPcm(pcm16);
      return pcm16;
    }
    const out = Buffer.allocUnsafe(this.outputSamplesFor(pcm16.length >> 1) * 2);
    this.processInto(pcm16, out);
    return out;
  }

  /**
   * Resamples a chunk into `out` at `outOffset` (bytes); returns the bytes written. `out` must
   * have room for `outputSamplesFor(pcm16.length / 2) * 2` bytes.
   */
  processInto(pcm16: Buffer, out: Buffer, outOffset = 0): number {
    checkPcm(pcm16);
    const n = pcm16.length >> 1;
    const bytes = this.outputSamplesFor(n) * 2;
    if (outOffset < 0 || out.length - outOffset < bytes) {
      throw new RangeError(`output buffer too small: need ${bytes} bytes at ${outOffset}`);
    }
    if (this.#bank === undefined) {
      pcm16.copy(out, outOffset);
      return bytes;
    }
    if (n === 0) {
      return 0;
    }
    this.#fed = true;
    const work = this.#ensure(n);
    const h = this.#hist;
    for (let i = 0, b = 0; i < n; i++, b += 2) {
      work[h + i] = (((pcm16[b] ?? 0) | ((pcm16[b + 1] ?? 0) << 8)) << 16) >> 16;
    }
    this.#run(this.#bank, n, bytes >> 1, out, outOffset);
    return bytes;
  }

  /**
   * Ends the stream: returns the last `delaySamples` outputs (the filter's tail, as if zeros
   * followed the input) and resets. Empty if nothing was processed since the last reset.
   */
  flush(): Buffer {
    const bank = this.#bank;
    if (bank === undefined || !this.#fed) {
      this.reset();
      return EMPTY;
    }
    const count = this.delaySamples;
    const zeros = Math.ceil((count * bank.down) / bank.up) + (this.#pos - this.#hist) + 1;
    const work = this.#ensure(zeros);
    work.fill(0, this.#hist, this.#hist + zeros);
    const out = Buffer.allocUnsafe(count * 2);
    this.#run(bank, zeros, count, out, 0);
    this.reset();
    return out;
  }

  /** Forgets all history, as if newly constructed. */
  reset(): void {
    this.#work.fill(0);
    this.#pos = this.#hist;
    this.#phase = 0;
    this.#fed = false;
  }

  #ensure(samples: number): Float64Array {
    const need = this.#hist + samples;
    if (this.#work.length < need) {
      const grown = new Float64Array(Math.max(need, this.#work.length * 2));
      grown.set(this.#work.subarray(0, this.#hist));
      this.#work = grown;
    }
    return this.#work;
  }

  /** Makes `count` outputs from the history plus `n` new samples in the work buffer. */
  #run(bank: PolyphaseBank, n: number, count: number, out: Buffer, offset: number): void {
    const coeffs = bank.coeffs;
    const up = bank.up;
    const work = this.#work;
    const taps = this.#taps;
    const stepWhole = this.#stepWhole;
    const stepFrac = this.#stepFrac;
    let pos = this.#pos;
    let phase = this.#phase;
    let o = offset;
    for (let k = 0; k < count; k++) {
      const c0 = phase * taps;
      const x0 = pos - taps + 1;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let q = 0;
      for (; q + 3 < taps; q += 4) {
        a0 += (coeffs[c0 + q] ?? 0) * (work[x0 + q] ?? 0);
        a1 += (coeffs[c0 + q + 1] ?? 0) * (work[x0 + q + 1] ?? 0);
        a2 += (coeffs[c0 + q + 2] ?? 0) * (work[x0 + q + 2] ?? 0);
        a3 += (coeffs[c0 + q + 3] ?? 0) * (work[x0 + q + 3] ?? 0);
      }
      for (; q < taps; q++) {
        a0 += (coeffs[c0 + q] ?? 0) * (work[x0 + q] ?? 0);
      }
      const acc = a0 + a1 + (a2 + a3);
      let v = Math.round(acc);
      v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      out[o] = v & 0xff;
      out[o + 1] = (v >> 8) & 0xff;
      o += 2;
      pos += stepWhole;
      phase += stepFrac;
      if (phase >= up) {
        phase -= up;
        pos += 1;
      }
    }
    // Keep the newest K − 1 samples as history for the next chunk.
    const h = this.#hist;
    work.copyWithin(0, n, n + h);
    this.#pos = pos - n;
    this.#phase = phase;
  }
}

function checkPcm(pcm16: Buffer): void {
  if ((pcm16.length & 1) !== 0) {
    throw new RangeError(`PCM16 buffer has an odd length (${pcm16.length} bytes)`);
  }
}
