import type { RawData } from 'ws';

/** A Deepgram live-streaming message (`Results`, `SpeechStarted`, `UtteranceEnd`, …), unvalidated. */
export interface DeepgramResult {
  type?: unknown;
  is_final?: unknown;
  speech_final?: unknown;
  from_finalize?: unknown;
  start?: unknown;
  duration?: unknown;
  timestamp?: unknown;
  last_word_end?: unknown;
  channel?: {
    alternatives?: {
      transcript?: unknown;
      confidence?: unknown;
      words?: { start?: unknown; end?: unknown }[];
    }[];
  };
}

/** A finite number, or the fallback. */
export function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function rawText(data: RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.from(data as Buffer).toString('utf8');
}

/** A message as JSON, or undefined when it is not JSON. */
export function parseMessage(text: string): DeepgramResult | undefined {
  try {
    return JSON.parse(text) as DeepgramResult;
  } catch {
    return undefined;
  }
}

/** What the bridge tells the relay it can do (partial results are per call). */
export const DEEPGRAM_READY = {
  speechEvents: true,
  grammar: false,
  sampleRatesHz: [8000, 16000, 24000, 48000],
  engine: 'deepgram',
  audioProgress: true,
};
