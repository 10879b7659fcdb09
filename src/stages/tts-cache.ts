import type {
  CachedSpeech,
  PhraseCache,
  SpeechSpan,
  TtsRequest,
  TurnStages,
} from './stage-ports.js';

export type CacheResult = 'hit' | 'miss';

/**
 * Synthesised audio of repeated phrases (fillers, greetings, fixed prompts), keyed by
 * engine, voice, format and text; least recently used entries go once the byte bound
 * is reached (an entry costs its audio and its alignment spans). One per process, shared by its sessions; concurrent misses of one key
 * share a single synthesis.
 */
export class TtsCache implements PhraseCache {
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

  speak(
    stages: TurnStages,
    req: TtsRequest,
    text: string,
    result: (r: CacheResult) => void,
  ): Promise<CachedSpeech> {
    return this.get(TtsCache.key(req, text), () => synthesizeText(stages, req, text), result);
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
    const cost = entryBytes(speech);
    if (cost > this.#maxBytes || this.#entries.has(key)) {
      return;
    }
    this.#entries.set(key, speech);
    this.#bytes += cost;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) {
        break;
      }
      this.#entries.delete(k);
      this.#bytes -= entryBytes(v);
    }
  }
}

/** Bytes an entry holds: its audio and two numbers per alignment span. */
const entryBytes = (s: CachedSpeech): number => s.audio.length + s.spans.length * 16;

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
    const spans: SpeechSpan[] = [];
    let bytes = 0;
    let textEnd = 0;
    const call = stages.synthesize(req, {
      onEvent: (ev) => {
        chunks.push(Buffer.from(ev.audio));
        bytes += ev.audio.length;
        textEnd = Math.max(textEnd, ev.textEnd ?? textEnd);
        spans.push({ audioEnd: bytes, textEnd });
      },
      onDone: (err) => {
        if (err !== undefined) {
          reject(err);
        } else {
          resolve({
            audio: Buffer.concat(chunks),
            textEnd: Math.max(textEnd, text.length),
            spans,
          });
        }
      },
    });
    call.push(text);
    call.end();
  });
}
