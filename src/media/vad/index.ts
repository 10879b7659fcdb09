import { DEFAULT_ENERGY_VAD, EnergyVad, type VadEvent } from './energy-vad.js';
import { SileroVad, type VadDecision } from './silero-vad.js';

export {
  DEFAULT_ENERGY_VAD,
  EnergyVad,
  type EnergyVadOptions,
  type VadEvent,
} from './energy-vad.js';
export {
  DEFAULT_SILERO_HYSTERESIS,
  DEFAULT_SILERO_MAX_QUEUED_WINDOWS,
  DEFAULT_SILERO_THRESHOLD,
  SileroVad,
  bundledSileroModelPath,
  sileroSessionCount,
  type SileroVadOptions,
  type VadDecision,
} from './silero-vad.js';

export type VadEngine = 'silero' | 'energy';

export interface VadConfig {
  engine: VadEngine;
  sampleRateHz: number;
  /** Silero: start probability (default 0.5). Energy: frame level in dBFS (default −40). */
  threshold?: number;
  /** Silero: stop probability (default threshold − 0.15). */
  negThreshold?: number;
  minSpeechMs?: number;
  minSilenceMs?: number;
  /** Energy threshold used when Silero is unavailable (default −40 dBFS). */
  fallbackThresholdDbfs?: number;
  /** Silero: windows allowed to wait for inference before dropping (default 16). */
  maxQueuedWindows?: number;
  /** Silero: custom model path. */
  modelPath?: string;
}

export interface VadHandlers {
  onEvent: (event: VadEvent) => void;
  /** Silero windows as they are decided (for metrics / debugging). */
  onDecision?: (decision: VadDecision) => void;
  /**
   * An exception thrown by a handler while Silero results were delivered. Without this the
   * error is rethrown asynchronously (an uncaught exception, as from an EventEmitter).
   */
  onError?: (error: unknown) => void;
}

/**
 * Speech start/stop detection with either engine. Energy: each frame's level decides.
 * Silero: model decisions (32 ms windows, with probability hysteresis) feed the same
 * minSpeech/minSilence logic (`EnergyVad.pushDecision`), asynchronously, in order.
 */
export interface VoiceDetector {
  /** The engine in use; 'energy' after a fallback. */
  readonly engine: VadEngine;
  /** Why the requested Silero engine is not in use (undefined when it is, or energy was asked for). */
  readonly fallbackReason: string | undefined;
  /** Speech in progress, as of the last decision processed. */
  readonly speaking: boolean;
  /** Silero windows dropped because inference fell behind (0 for energy). */
  readonly droppedWindows: number;
  push(pcm: Buffer, captureTsMs: number, durationMs: number): void;
  /** Resolves once every frame pushed so far has been decided and its events delivered. */
  idle(): Promise<void>;
  close(): void;
}

/**
 * Creates a detector. Never rejects for Silero problems: if the model cannot be loaded (package
 * missing, runtime failure, unsupported sample rate, bad threshold), it returns an energy
 * detector with `fallbackReason` set. Also falls back at run time if inference throws.
 */
export async function createVad(config: VadConfig, handlers: VadHandlers): Promise<VoiceDetector> {
  const timing = {
    minSpeechMs: config.minSpeechMs ?? DEFAULT_ENERGY_VAD.minSpeechMs,
    minSilenceMs: config.minSilenceMs ?? DEFAULT_ENERGY_VAD.minSilenceMs,
  };
  if (config.engine === 'energy') {
    const energy = new EnergyVad({
      ...timing,
      thresholdDbfs: config.threshold ?? DEFAULT_ENERGY_VAD.thresholdDbfs,
    });
    return new Detector(energy, undefined, undefined, handlers);
  }
  const energy = new EnergyVad({
    ...timing,
    thresholdDbfs: config.fallbackThresholdDbfs ?? DEFAULT_ENERGY_VAD.thresholdDbfs,
  });
  try {
    const silero = await SileroVad.create({
      sampleRateHz: config.sampleRateHz,
      ...(config.threshold !== undefined && { threshold: config.threshold }),
      ...(config.negThreshold !== undefined && { negThreshold: config.negThreshold }),
      ...(config.maxQueuedWindows !== undefined && { maxQueuedWindows: config.maxQueuedWindows }),
      ...(config.modelPath !== undefined && { modelPath: config.modelPath }),
    });
    return new Detector(energy, silero, undefined, handlers);
  } catch (err) {
    return new Detector(energy, undefined, `Silero unavailable: ${message(err)}`, handlers);
  }
}

class Detector implements VoiceDetector {
  readonly #energy: EnergyVad;
  #silero: SileroVad | undefined;
  #fallbackReason: string | undefined;
  readonly #handlers: VadHandlers;
  #pending: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    energy: EnergyVad,
    silero: SileroVad | undefined,
    fallbackReason: string | undefined,
    handlers: VadHandlers,
  ) {
    this.#energy = energy;
    this.#silero = silero;
    this.#fallbackReason = fallbackReason;
    this.#handlers = handlers;
  }

  get engine(): VadEngine {
    return this.#silero === undefined ? 'energy' : 'silero';
  }

  get fallbackReason(): string | undefined {
    return this.#fallbackReason;
  }

  get speaking(): boolean {
    return this.#energy.speaking;
  }

  get droppedWindows(): number {
    return this.#silero?.droppedWindows ?? 0;
  }

  push(pcm: Buffer, captureTsMs: number, durationMs: number): void {
    if (this.#closed) {
      return;
    }
    const silero = this.#silero;
    if (silero === undefined) {
      const event = this.#energy.push(pcm, captureTsMs, durationMs);
      if (event) {
        this.#handlers.onEvent(event);
      }
      return;
    }
    this.#pending = silero.push(pcm, captureTsMs).then(
      (decisions) => this.#deliver(silero, decisions),
      (err: unknown) => this.#fallBack(silero, err),
    );
  }

  async idle(): Promise<void> {
    await this.#pending;
  }

  close(): void {
    this.#closed = true;
    this.#silero?.close();
  }

  #deliver(silero: SileroVad, decisions: VadDecision[]): void {
    const handlers = this.#handlers;
    for (const d of decisions) {
      if (this.#closed || this.#silero !== silero) {
        return;
      }
      try {
        handlers.onDecision?.(d);
        const event = this.#energy.pushDecision(d.voiced, d.tsMs, d.durationMs);
        if (event) {
          handlers.onEvent(event);
        }
      } catch (err) {
        this.#report(err);
      }
    }
  }

  #fallBack(silero: SileroVad, err: unknown): void {
    if (this.#silero !== silero) {
      return;
    }
    silero.close();
    this.#silero = undefined;
    this.#fallbackReason = `Silero inference failed: ${message(err)}`;
  }

  #report(err: unknown): void {
    if (this.#handlers.onError) {
      this.#handlers.onError(err);
    } else {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
