import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Resampler } from '../resample/index.js';
import { decodeWav, toMono } from '../wav.js';

/** Test audio for the VAD suites: espeak-ng speech, white noise, framing. */

export interface SpeechClip {
  sampleRateHz: number;
  pcm: Buffer;
  /** Start of the first and end of the last 10 ms block above `ENVELOPE_DBFS`. */
  onsetMs: number;
  offsetMs: number;
}

export const ENVELOPE_DBFS = -50;

/** Speaks `text` with `espeak-ng -v en-us` (22050 Hz) and resamples it to `sampleRateHz`. */
export function espeakSpeech(text: string, sampleRateHz: number): SpeechClip {
  const dir = mkdtempSync(path.join(tmpdir(), 'vad-espeak-'));
  try {
    const file = path.join(dir, 'speech.wav');
    execFileSync('espeak-ng', ['-v', 'en-us', '-w', file, text], { stdio: 'ignore' });
    const wav = toMono(decodeWav(readFileSync(file)));
    const pcm = resampleAligned(wav.data, wav.sampleRateHz, sampleRateHz);
    const { onsetMs, offsetMs } = envelope(pcm, sampleRateHz);
    return { sampleRateHz, pcm, onsetMs, offsetMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whole-signal resampling with the filter delay removed (time-aligned). */
export function resampleAligned(pcm: Buffer, fromHz: number, toHz: number): Buffer {
  const r = new Resampler(fromHz, toHz);
  const out = Buffer.concat([r.process(pcm), r.flush()]);
  return out.subarray(r.delaySamples * 2);
}

/** Where the signal is above `ENVELOPE_DBFS` (10 ms blocks). */
export function envelope(pcm: Buffer, sampleRateHz: number): { onsetMs: number; offsetMs: number } {
  const block = sampleRateHz / 100;
  const n = pcm.length >> 1;
  let first = -1;
  let last = -1;
  for (let b = 0; (b + 1) * block <= n; b++) {
    let sum = 0;
    for (let i = b * block; i < (b + 1) * block; i++) {
      const s = pcm.readInt16LE(i * 2);
      sum += s * s;
    }
    const db = 20 * Math.log10(Math.sqrt(sum / block) / 32768);
    if (db >= ENVELOPE_DBFS) {
      if (first < 0) {
        first = b;
      }
      last = b;
    }
  }
  if (first < 0) {
    throw new Error('no signal above the envelope threshold');
  }
  return { onsetMs: first * 10, offsetMs: (last + 1) * 10 };
}

/** Deterministic white noise (uniform) at an RMS level in dBFS. */
export function whiteNoise(
  durationMs: number,
  sampleRateHz: number,
  rmsDbfs: number,
  seed = 7,
): Buffer {
  const n = Math.round((durationMs * sampleRateHz) / 1000);
  const out = Buffer.alloc(n * 2);
  // Uniform in [-a, a] has RMS a / √3.
  const a = Math.min(32767, 32768 * 10 ** (rmsDbfs / 20) * Math.sqrt(3));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeInt16LE(Math.round((x / 0xffffffff) * 2 * a - a), i * 2);
  }
  return out;
}

/** Splits PCM16 into `frameMs` frames (the last partial frame is dropped). */
export function frames(pcm: Buffer, sampleRateHz: number, frameMs = 20): Buffer[] {
  const bytes = ((sampleRateHz * frameMs) / 1000) * 2;
  const out: Buffer[] = [];
  for (let o = 0; o + bytes <= pcm.length; o += bytes) {
    out.push(pcm.subarray(o, o + bytes));
  }
  return out;
}
