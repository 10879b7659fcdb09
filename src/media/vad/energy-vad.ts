import { rmsDbfs } from '../pcm.js';

/**
 * Energy voice activity detector: the fallback VAD and the relay's own view of
 * speech start/end. Pure: the caller passes each frame with its capture time.
 *
 * Speech starts after `minSpeechMs` of consecutive voiced frames (the start time
 * is the first voiced frame's capture time) and stops after `minSilenceMs` of
 * unvoiced frames (the end time is the end of the last voiced frame).
 */
export interface EnergyVadOptions {
  thresholdDbfs: number;
  minSpeechMs: number;
  minSilenceMs: number;
}

export const DEFAULT_ENERGY_VAD: EnergyVadOptions = {
  thresholdDbfs: -40,
  minSpeechMs: 60,
  minSilenceMs: 200,
};

export type VadEvent =
  { type: 'speech.started'; tsMs: number } | { type: 'speech.stopped'; tsMs: number };

export class EnergyVad {
  readonly #opts: EnergyVadOptions;
  #speaking = false;
  #voicedRunMs = 0;
  #voicedRunStartMs = 0;
  #silenceRunMs = 0;
  #lastVoicedEndMs = 0;

  constructor(options: Partial<EnergyVadOptions> = {}) {
    this.#opts = { ...DEFAULT_ENERGY_VAD, ...options };
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** End time of the last voiced frame seen (0 before any). */
  get lastVoicedEndMs(): number {
    return this.#lastVoicedEndMs;
  }

  /** Feed one frame; returns an event when the state changes, else undefined. */
  push(pcm: Buffer, captureTsMs: number, durationMs: number): VadEvent | undefined {
    const voiced = rmsDbfs(pcm) >= this.#opts.thresholdDbfs;
    return this.pushDecision(voiced, captureTsMs, durationMs);
  }

  /** Feed a voiced/unvoiced decision made elsewhere (e.g. a model VAD). */
  pushDecision(voiced: boolean, captureTsMs: number, durationMs: number): VadEvent | undefined {
    if (voiced) {
      if (this.#voicedRunMs === 0) {
        this.#voicedRunStartMs = captureTsMs;
      }
      this.#voicedRunMs += durationMs;
      this.#silenceRunMs = 0;
      this.#lastVoicedEndMs = captureTsMs + durationMs;
      if (!this.#speaking && this.#voicedRunMs >= this.#opts.minSpeechMs) {
        this.#speaking = true;
        return { type: 'speech.started', tsMs: this.#voicedRunStartMs };
      }
      return undefined;
    }
    this.#voicedRunMs = 0;
    if (!this.#speaking) {
      return undefined;
    }
    this.#silenceRunMs += durationMs;
    if (this.#silenceRunMs >= this.#opts.minSilenceMs) {
      this.#speaking = false;
      this.#silenceRunMs = 0;
      return { type: 'speech.stopped', tsMs: this.#lastVoicedEndMs };
    }
    return undefined;
  }

  reset(): void {
    this.#speaking = false;
    this.#voicedRunMs = 0;
    this.#silenceRunMs = 0;
  }
}
