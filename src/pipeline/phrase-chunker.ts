/**
 * Groups LLM tokens into phrases for TTS as they arrive, so synthesis starts on the
 * first phrase instead of the whole reply. Pure: no timers, no I/O.
 *
 * A phrase ends at sentence punctuation (. ! ? ; :) followed by whitespace, or at a
 * comma/dash once it is at least `minChars` long, or at any whitespace once it grows
 * past `maxChars`. `end()` returns whatever is left.
 */
export interface PhraseChunkerOptions {
  minChars: number;
  maxChars: number;
}

const SENTENCE_END = /[.!?;:]["')\]]?\s/g;
const SOFT_BREAK = /[,\u2014\u2013]\s/g;

export class PhraseChunker {
  readonly #minChars: number;
  readonly #maxChars: number;
  #buffer = '';

  constructor(options: Partial<PhraseChunkerOptions> = {}) {
    this.#minChars = options.minChars ?? 24;
    this.#maxChars = Math.max(this.#minChars, options.maxChars ?? 200);
  }

  get pending(): string {
    return this.#buffer;
  }

  /** Add a token; returns the phrases completed by it (often none). */
  push(text: string): string[] {
    this.#buffer += text;
    const out: string[] = [];
    for (;;) {
      const cut = this.#findCut();
      if (cut <= 0) {
        break;
      }
      out.push(this.#buffer.slice(0, cut));
      this.#buffer = this.#buffer.slice(cut);
    }
    return out;
  }

  /** The reply ended: flush the remainder (empty string when nothing is left). */
  end(): string {
    const rest = this.#buffer;
    this.#buffer = '';
    return rest;
  }

  reset(): void {
    this.#buffer = '';
  }

  #findCut(): number {
    const b = this.#buffer;
    SENTENCE_END.lastIndex = 0;
    const sentence = SENTENCE_END.exec(b);
    if (sentence !== null) {
      return sentence.index + sentence[0].length;
    }
    if (b.length >= this.#minChars) {
      SOFT_BREAK.lastIndex = this.#minChars - 2;
      const soft = SOFT_BREAK.exec(b);
      if (soft !== null) {
        return soft.index + soft[0].length;
      }
    }
    if (b.length > this.#maxChars) {
      const space = b.lastIndexOf(' ', this.#maxChars);
      return space > 0 ? space + 1 : this.#maxChars;
    }
    return 0;
  }
}
