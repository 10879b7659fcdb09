import type { ResamplerQuality } from './filter-design.js';

/**
 * Acceptance bounds, asserted by sweep.test.ts for every ordered pair of 8000, 16000, 22050,
 * 24000 and 48000 Hz, measured on int16 output with a stepped sine sweep (single-bin DFT of
 * the steady-state output, amplitude 20000 ≈ −4.3 dBFS). See README.md for the method.
 */
export interface ResamplerBounds {
  /** Max |gain error| in dB for tones from near 0 Hz up to the passband edge. */
  readonly passbandToleranceDb: number;
  /**
   * Downsampling: min attenuation in dB of tones between the stopband edge (output Nyquist)
   * and the input Nyquist, measured at the frequency they alias to.
   */
  readonly aliasRejectionDb: number;
  /** Upsampling: min attenuation in dB of the spectral images of passband tones. */
  readonly imageRejectionDb: number;
}

export const RESAMPLER_BOUNDS: Readonly<Record<ResamplerQuality, ResamplerBounds>> = {
  low: { passbandToleranceDb: 0.02, aliasRejectionDb: 58, imageRejectionDb: 58 },
  medium: { passbandToleranceDb: 0.005, aliasRejectionDb: 78, imageRejectionDb: 78 },
  high: { passbandToleranceDb: 0.002, aliasRejectionDb: 96, imageRejectionDb: 96 },
};

/** The rates the relay meets at its edges (telephony, wideband STT, TTS voices, WebRTC). */
export const RELAY_SAMPLE_RATES = [8000, 16000, 22050, 24000, 48000] as const;
