/**
 * Tone generation and single-bin spectrum measurement, used by the resampler's acceptance
 * tests (and handy for diagnosing a resampler in the field). Not for the hot path.
 */

import { Resampler } from './resampler.js';
import type { ResamplerQuality } from './filter-design.js';

/** PCM16LE → Float64Array (works at any byteOffset). */
export function pcmToFloat(pcm: Buffer): Float64Array {
  const out = new Float64Array(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = pcm.readInt16LE(i * 2);
  }
  return out;
}

/** A rounded PCM16LE cosine: amplitude · cos(2π·freq·i / rate + phase). */
export function tonePcm(
  freqHz: number,
  rateHz: number,
  samples: number,
  amplitude: number,
  phase = 0,
): Buffer {
  const out = Buffer.alloc(samples * 2);
  const w = (2 * Math.PI * freqHz) / rateHz;
  for (let i = 0; i < samples; i++) {
    out.writeInt16LE(Math.round(amplitude * Math.cos(w * i + phase)), i * 2);
  }
  return out;
}

export interface BinMeasure {
  /** Peak amplitude of the sinusoid at that bin. */
  readonly amplitude: number;
  /** Phase in radians of the cosine, relative to the window start. */
  readonly phase: number;
}

/**
 * Amplitude and phase of DFT bin `bin` over `length` samples from `start` (rectangular
 * window). Exact for a tone with an integer number of cycles in the window.
 */
export function measureBin(
  x: Float64Array,
  start: number,
  length: number,
  bin: number,
): BinMeasure {
  let re = 0;
  let im = 0;
  const w = (2 * Math.PI * bin) / length;
  for (let i = 0; i < length; i++) {
    const v = x[start + i] ?? 0;
    re += v * Math.cos(w * i);
    im -= v * Math.sin(w * i);
  }
  const scale = bin === 0 || 2 * bin === length ? 1 / length : 2 / length;
  return { amplitude: Math.hypot(re, im) * scale, phase: Math.atan2(im, re) };
}

export interface ToneResult {
  /** Output sample rate bins: tone frequency = bin · toHz / window. */
  readonly window: number;
  readonly output: Float64Array;
  /** First steady-state output sample (filter fully inside the signal). */
  readonly start: number;
}

/**
 * Resamples a tone at input frequency `bin · toHz / window` (an exact output-window bin) and
 * returns the output with a steady-state measurement window of `window` samples.
 */
export function resampleTone(
  fromHz: number,
  toHz: number,
  quality: ResamplerQuality,
  window: number,
  bin: number,
  amplitude: number,
): ToneResult {
  const r = new Resampler(fromHz, toHz, { quality });
  const start = 2 * r.delaySamples + 2;
  const outNeeded = start + window;
  const inSamples = Math.ceil((outNeeded * fromHz) / toHz) + 1;
  const freq = (bin * toHz) / window;
  const output = pcmToFloat(r.process(tonePcm(freq, fromHz, inSamples, amplitude)));
  return { window, output, start };
}

/** Smallest multiple of the reduced interpolation factor ≥ 2048: every tone is an exact bin. */
export function measurementWindow(fromHz: number, toHz: number): number {
  let a = fromHz;
  let b = toHz;
  while (b !== 0) {
    [a, b] = [b, a % b];
  }
  const up = toHz / a;
  return up * Math.ceil(2048 / up);
}

/** Fold a bin index into [0, window / 2]. */
export function foldBin(bin: number, window: number): number {
  const k = ((bin % window) + window) % window;
  return k > window / 2 ? window - k : k;
}

export interface SweepResult {
  /** Largest |gain error| in dB over the passband tones. */
  readonly passbandErrorDb: number;
  /** Smallest alias attenuation in dB over the stopband tones (Infinity when upsampling). */
  readonly aliasRejectionDb: number;
  /** Smallest image attenuation in dB (Infinity when downsampling or no image is in band). */
  readonly imageRejectionDb: number;
  /** Tones measured. */
  readonly tones: number;
}

function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/**
 * Stepped sine sweep through one rate pair: `steps + 1` tones from near 0 Hz to the passband
 * edge (gain error; when upsampling also every image below the output Nyquist), and, when
 * downsampling, `steps + 1` tones from the stopband edge to just under the input Nyquist
 * (attenuation at the alias frequency). Every tone sits on an exact bin of the window.
 */
export function sweepPair(
  fromHz: number,
  toHz: number,
  quality: ResamplerQuality,
  spec: { passband: number; stopband: number },
  steps = 10,
  amplitude = 20000,
): SweepResult {
  const window = measurementWindow(fromHz, toHz);
  const binHz = toHz / window;
  const minHz = Math.min(fromHz, toHz);
  const inputBins = (window * fromHz) / toHz; // fromHz in bins: an integer by construction
  let passbandErrorDb = 0;
  let aliasRejectionDb = Infinity;
  let imageRejectionDb = Infinity;
  let tones = 0;

  const passTop = Math.floor((spec.passband * minHz) / binHz);
  for (let s = 0; s <= steps; s++) {
    const k = Math.max(1, Math.round((passTop * s) / steps));
    const r = resampleTone(fromHz, toHz, quality, window, k, amplitude);
    tones++;
    const gain = measureBin(r.output, r.start, window, k).amplitude / amplitude;
    passbandErrorDb = Math.max(passbandErrorDb, Math.abs(db(gain)));
    if (toHz > fromHz) {
      for (let m = 1; m * inputBins - k < window / 2; m++) {
        for (const image of [m * inputBins - k, m * inputBins + k]) {
          if (image > 0 && image < window / 2) {
            const a = measureBin(r.output, r.start, window, image).amplitude;
            imageRejectionDb = Math.min(imageRejectionDb, db(amplitude / a));
          }
        }
      }
    }
  }

  if (fromHz > toHz) {
    const stopBottom = Math.ceil((spec.stopband * minHz) / binHz);
    const stopTop = Math.ceil(inputBins / 2) - 1;
    for (let s = 0; s <= steps; s++) {
      // Quadratic spacing: denser near the stopband edge, where the sidelobes are highest.
      let k = Math.round(stopBottom + (stopTop - stopBottom) * (s / steps) ** 2);
      let alias = foldBin(k, window);
      if (alias === 0 || 2 * alias === window) {
        // Keep off DC and Nyquist (a cosine's bin amplitude there depends on its phase),
        // moving inwards so the tone stays in the stopband.
        k += s < steps ? 1 : -1;
        alias = foldBin(k, window);
      }
      const r = resampleTone(fromHz, toHz, quality, window, k, amplitude);
      tones++;
      const a = measureBin(r.output, r.start, window, alias).amplitude;
      aliasRejectionDb = Math.min(aliasRejectionDb, db(amplitude / a));
    }
  }
  return { passbandErrorDb, aliasRejectionDb, imageRejectionDb, tones };
}
