/**
 * Kaiser-windowed-sinc low-pass design for rational resampling, decomposed into a polyphase
 * filter bank. Banks are cached per (from, to, quality): built once, shared by all instances.
 */

export type ResamplerQuality = 'low' | 'medium' | 'high';

/** Low-pass specification. Edges are fractions of min(fromHz, toHz). */
export interface FilterSpec {
  /** Passband edge, × min rate (0.45 → 3600 Hz when either side is 8 kHz). */
  readonly passband: number;
  /** Stopband edge, × min rate. 0.5 = the lower Nyquist: nothing above it can alias. */
  readonly stopband: number;
  /** Design stopband attenuation in dB; the Kaiser passband ripple is ±10^(-A/20). */
  readonly attenuationDb: number;
}

export const RESAMPLER_QUALITY: Readonly<Record<ResamplerQuality, FilterSpec>> = {
  low: { passband: 0.4, stopband: 0.5, attenuationDb: 60 },
  medium: { passband: 0.45, stopband: 0.5, attenuationDb: 80 },
  high: { passband: 0.46, stopband: 0.5, attenuationDb: 100 },
};

export interface PolyphaseBank {
  /** Interpolation factor L (gcd-reduced toHz). */
  readonly up: number;
  /** Decimation factor M (gcd-reduced fromHz). */
  readonly down: number;
  /** Taps per phase K, in input samples. */
  readonly tapsPerPhase: number;
  /**
   * L × K coefficients, phase-major. Phase p holds the prototype taps p, p + L, p + 2L, …
   * in reverse, so that tap q multiplies input sample (newest − (K − 1) + q): oldest first.
   * Each phase sums to exactly 1 (unity DC gain for every output phase).
   */
  readonly coeffs: Float64Array;
  /** Group delay in output samples (an integer by construction). */
  readonly delay: number;
  /** Prototype length before zero-padding (odd, linear phase). */
  readonly prototypeTaps: number;
}

/** Largest polyphase bank accepted (coefficients); guards against odd rate pairs. */
const MAX_BANK_COEFFS = 1 << 21;

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** Zeroth-order modified Bessel function of the first kind (power series). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) {
      break;
    }
  }
  return sum;
}

/** Kaiser β for a stopband attenuation in dB (Kaiser's empirical formula). */
export function kaiserBeta(attenuationDb: number): number {
  const a = attenuationDb;
  if (a > 50) {
    return 0.1102 * (a - 8.7);
  }
  if (a >= 21) {
    return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
  }
  return 0;
}

/** Kaiser's length estimate for a transition width in radians per sample. */
export function kaiserLength(attenuationDb: number, transitionRad: number): number {
  return Math.ceil((attenuationDb - 7.95) / (2.285 * transitionRad)) + 1;
}

const cache = new Map<string, PolyphaseBank>();

/**
 * Designs (or returns the cached) polyphase bank for fromHz → toHz.
 *
 * Conceptually: zero-stuff by L to L·fromHz, low-pass with the prototype h, keep every M-th
 * sample. Output n uses prototype phase (n·M) mod L against input samples ending at
 * ⌊n·M / L⌋, so only K multiply-adds per output are done.
 *
 * The prototype (odd length N, centre c = (N−1)/2) is preceded by e = D·M − c zeros with
 * D = ⌈c / M⌉, which delays it by under one output sample so the group delay is exactly D
 * output samples.
 */
export function designBank(fromHz: number, toHz: number, quality: ResamplerQuality): PolyphaseBank {
  const key = `${fromHz}:${toHz}:${quality}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    return cached;
  }
  const spec = RESAMPLER_QUALITY[quality];
  const g = gcd(fromHz, toHz);
  const up = toHz / g;
  const down = fromHz / g;
  const minHz = Math.min(fromHz, toHz);
  const upRate = fromHz * up;
  const passHz = spec.passband * minHz;
  const stopHz = spec.stopband * minHz;
  const cutoff = (passHz + stopHz) / 2 / upRate; // cycles per upsampled sample
  let n = kaiserLength(spec.attenuationDb, (2 * Math.PI * (stopHz - passHz)) / upRate);
  n |= 1;
  const centre = (n - 1) / 2;
  const delay = Math.ceil(centre / down);
  const lead = delay * down - centre;
  const taps = Math.ceil((n + lead) / up);
  if (taps * up > MAX_BANK_COEFFS) {
    throw new RangeError(`resampling ${fromHz} → ${toHz} Hz needs too large a filter bank`);
  }

  const beta = kaiserBeta(spec.attenuationDb);
  const i0Beta = besselI0(beta);
  const proto = new Float64Array(taps * up);
  for (let k = 0; k < n; k++) {
    const m = k - centre;
    const r = m / centre;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    const x = 2 * cutoff * m;
    const sinc = m === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    proto[lead + k] = 2 * cutoff * sinc * window;
  }

  const coeffs = new Float64Array(taps * up);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      sum += proto[p + j * up] ?? 0;
    }
    const scale = sum === 0 ? 0 : 1 / sum;
    for (let j = 0; j < taps; j++) {
      coeffs[p * taps + (taps - 1 - j)] = (proto[p + j * up] ?? 0) * scale;
    }
  }

  const bank: PolyphaseBank = { up, down, tapsPerPhase: taps, coeffs, delay, prototypeTaps: n };
  cache.set(key, bank);
  return bank;
}
