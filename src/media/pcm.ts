/** PCM16LE helpers that do not allocate per call unless they say so. */

import { endianness } from 'node:os';

/** Int16Array reads host order: a view equals PCM16LE only on a little-endian host. */
const HOST_LE = endianness() === 'LE';

/** Scratch for the odd-offset case, grown as needed (never shrinks; a frame is small). */
let scratch = new Int16Array(0);

/**
 * The PCM16LE samples of `pcm` as an Int16Array. A view of the same memory when the buffer
 * starts on an even byte offset (always for frames cut from a whole message at an even
 * header length); an odd offset cannot be viewed, so the samples are copied into a shared
 * scratch array, which the next call reuses: consume the result before calling again.
 * A trailing odd byte is ignored. Little-endian hosts only (see `HOST_LE`).
 */
function samplesOf(pcm: Buffer): Int16Array {
  const n = pcm.length >> 1;
  if ((pcm.byteOffset & 1) === 0) {
    return new Int16Array(pcm.buffer, pcm.byteOffset, n);
  }
  if (scratch.length < n) {
    scratch = new Int16Array(Math.max(n, 1024));
  }
  new Uint8Array(scratch.buffer, 0, n << 1).set(pcm.subarray(0, n << 1));
  return scratch.subarray(0, n);
}

/** Root-mean-square level of PCM16LE samples in dBFS (-Infinity for digital silence). */
export function rmsDbfs(pcm: Buffer): number {
  const n = pcm.length >> 1;
  if (n === 0) {
    return -Infinity;
  }
  // Runs twice per 20 ms frame of every session (VAD, sim STT): an Int16Array view reads a
  // sample in one load, several times cheaper than readInt16LE or byte arithmetic.
  const sum = HOST_LE ? sumSquares(samplesOf(pcm)) : sumSquaresBytes(pcm, n);
  const rms = Math.sqrt(sum / n);
  return rms === 0 ? -Infinity : 20 * Math.log10(rms / 32768);
}

function sumSquares(s: Int16Array): number {
  let sum = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const v = s[i]!;
    sum += v * v;
  }
  return sum;
}

/** Big-endian hosts: assemble each little-endian sample from its bytes. */
function sumSquaresBytes(pcm: Buffer, n: number): number {
  let sum = 0;
  for (let j = 0; j < n << 1; j += 2) {
    const s = (((pcm[j] ?? 0) | ((pcm[j + 1] ?? 0) << 8)) << 16) >> 16;
    sum += s * s;
  }
  return sum;
}

/**
 * Deterministic speech-like test signal: a voiced harmonic tone with syllable-rate
 * amplitude modulation. Used by tests, benchmarks and the sim engines.
 */
export function synthVoice(
  durationMs: number,
  sampleRateHz: number,
  seed = 1,
  amplitude = 8000,
): Buffer {
  const n = Math.round((durationMs / 1000) * sampleRateHz);
  const out = Buffer.alloc(n * 2);
  const f0 = 110 + (seed % 7) * 15;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRateHz;
    const envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t + seed);
    let s = 0;
    for (let h = 1; h <= 4; h++) {
      s += Math.sin(2 * Math.PI * f0 * h * t) / h;
    }
    const v = Math.max(-32768, Math.min(32767, Math.round(amplitude * envelope * s * 0.5)));
    out.writeInt16LE(v, i * 2);
  }
  return out;
}

/** Silence of a duration. */
export function silence(durationMs: number, sampleRateHz: number): Buffer {
  return Buffer.alloc(Math.round((durationMs / 1000) * sampleRateHz) * 2);
}
