import { silence, synthVoice } from './pcm.js';

/** A scripted recording: alternating voiced and silent segments with known timings. */
export type ScriptPart = { speechMs: number } | { silenceMs: number };

export interface ScriptedAudio {
  pcm: Buffer;
  /** Start and end (ms from the start of the audio) of each voiced segment. */
  speech: { startMs: number; endMs: number }[];
  durationMs: number;
}

export function scriptedAudio(parts: ScriptPart[], sampleRateHz: number): ScriptedAudio {
  const chunks: Buffer[] = [];
  const speech: { startMs: number; endMs: number }[] = [];
  let t = 0;
  let seed = 1;
  for (const part of parts) {
    if ('speechMs' in part) {
      chunks.push(synthVoice(part.speechMs, sampleRateHz, seed++));
      speech.push({ startMs: t, endMs: t + part.speechMs });
      t += part.speechMs;
    } else {
      chunks.push(silence(part.silenceMs, sampleRateHz));
      t += part.silenceMs;
    }
  }
  return { pcm: Buffer.concat(chunks), speech, durationMs: t };
}
