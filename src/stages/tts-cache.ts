import type { TtsRequest, TurnStages } from './stage-ports.js';

/** Synthesised speech of one text: PCM and the text offset it speaks up to. */
export interface CachedSpeech {
  audio: Buffer;
  textEnd: number;
}

export type CacheResult = 'hit' | 'miss';

/**
 * Synthesised audio of repeated phrases (fillers, greetings, fixed prompts), keyed by
 * engine, voice, format and text; least recently used entries go once the byte bound
 * is reached. One per process, shared by its sessions; concurrent misses of one key
 * share a single synthesis.
 */
export class TtsCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, CachedSpeech>();
  readonly #inflight = new Map<string, Promise<CachedSpeech>>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The key of a text spoken with a TTS configuration. */
  static key(req: Pick<TtsRequest, 'endpoint' | 'config' | 'sampleRateHz'>, text: string): string {
    const c = req.config;
    return JSON.stringify([
      req.endpoint,
      c.voice,
      c.language,
      c.speakingRate,
      req.sampleRateHz,
      text,
    ]);
  }

  /** The cached speech, or a synthesis whose result is cached (`result` says which). */
  async get(
    key: string,
    synthesize: () => Promise<CachedSpeech>,
    result: (r: CacheResult) => void,
  ): Promise<CachedSpeech> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      result('hit');
      return hit;
    }
    result('miss');
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = synthesize().finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
      const speech = await pending;
      this.#store(key, speech);
      return speech;
    }
    return pending;
  }

  #store(key: string, speech: CachedSpeech): void {
    if (speech.audio.length > this.#maxBytes || this.#entries.has(key)) {
      return;
    }
    this.#entries.set(key, speech);
    this.#bytes += speech.audio.length;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) {
        break;
      }
      this.#entries.delete(k);
      this.#bytes -= v.audio.length;
    }
  }
}

/** The process's cache (64 MiB). */
export const sharedTtsCache = new TtsCache(64 * 1024 * 1024);

/** Synthesise one whole text with a TTS stage call (no streaming input). */
export function synthesizeText(
  stages: TurnStages,
  req: TtsRequest,
  text: string,
): Promise<CachedSpeech> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let textEnd = 0;
    const call = stages.synthesize(req, {
      onEvent: (ev) => {
        chunks.push(Buffer.from(ev.audio));
        textEnd = ev.textEnd ?? textEnd;
      },
      onDone: (err) => {
        if (err !== undefined) {
          reject(err);
        } else {
          resolve({ audio: Buffer.concat(chunks), textEnd: Math.max(textEnd, text.length) });
        }
      },
    });
    call.push(text);
    call.end();
  });
}
