/**
 * Test helpers: espeak-ng speech as PCM16 at any rate, and a paced feeder of
 * audio chunks into a Recognize stream.
 */
import { EspeakPhraseProcess } from '../espeak/espeak-process.js';
import { silence } from '../../media/pcm.js';
import type { AudioChunk } from '../../generated/voicerelay/v1/AudioChunk.js';

/** espeak-ng (en-us) speaking `text`, as PCM16 mono at `rateHz`. */
export async function espeakPcm(text: string, rateHz: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const proc = new EspeakPhraseProcess(
    { binary: 'espeak-ng', voice: 'en-us', wordsPerMinute: 175 },
    text,
    rateHz,
    (pcm) => parts.push(pcm),
  );
  const result = await proc.done;
  if (!result.ok) {
    throw new Error(result.message);
  }
  return Buffer.concat(parts);
}

export type SpeechPart = string | { silenceMs: number };

/** Concatenated speech and silences at `rateHz`. */
export async function speechScript(parts: readonly SpeechPart[], rateHz: number): Promise<Buffer> {
  const pcm: Buffer[] = [];
  for (const p of parts) {
    pcm.push(typeof p === 'string' ? await espeakPcm(p, rateHz) : silence(p.silenceMs, rateHz));
  }
  return Buffer.concat(pcm);
}

/** Split PCM into chunkMs chunks with capture times from `startTsMs` (the last may be short). */
export function toChunks(
  pcm: Buffer,
  rateHz: number,
  options: { chunkMs?: number; startTsMs?: number; firstSeq?: number } = {},
): AudioChunk[] {
  const chunkMs = options.chunkMs ?? 20;
  const bytes = Math.round((chunkMs * rateHz) / 1000) * 2;
  const start = options.startTsMs ?? 1_000_000;
  const out: AudioChunk[] = [];
  for (let off = 0, seq = options.firstSeq ?? 0; off < pcm.length; off += bytes, seq++) {
    out.push({
      seq,
      captureTsMs: start + (off / 2 / rateHz) * 1000,
      audio: pcm.subarray(off, off + bytes),
    });
  }
  return out;
}

/**
 * Write chunks paced at `speed` × real time (batched per timer tick); resolves
 * once all were written. Stops early when `signal` aborts.
 */
export function feedChunks(
  chunks: readonly AudioChunk[],
  write: (chunk: AudioChunk) => void,
  options: { speed?: number; chunkMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const speed = options.speed ?? 1;
  const chunkMs = options.chunkMs ?? 20;
  const startedAt = performance.now();
  let next = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      if (options.signal?.aborted === true) {
        resolve();
        return;
      }
      const due = Math.floor(((performance.now() - startedAt) * speed) / chunkMs) + 1;
      while (next < chunks.length && next < due) {
        const chunk = chunks[next++];
        if (chunk !== undefined) {
          write(chunk);
        }
      }
      if (next >= chunks.length) {
        resolve();
        return;
      }
      setTimeout(tick, Math.max(1, chunkMs / speed / 2));
    };
    tick();
  });
}
