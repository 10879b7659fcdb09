/**
 * Groups LLM tokens into phrases for TTS as they arrive, so synthesis starts on the
 * first phrase instead of the whole reply. Pure: no timers, no I/O.
 *
 * A phrase ends at sentence punctuation (. ! ? ; :) followed by whitespace, or at a
 * comma/dash once it is at least `minChars` long, or at any whitespace once it grows
 * past `maxChars`. `end()` returns whatever is left.
 *
 * Sentence punctuation that ends the text received so far also ends the phrase at once
 * (the phrase goes to TTS now, not when the next token brings the whitespace) when it
 * cannot be the inside of a number or an abbreviation: it follows a word of letters, that
 * word has no inner dot ("e.g."), and a "." does not end a capitalised word of up to three
 * letters ("Mr.", "Dr."). "3.5", "10:30" and "U.S." still wait for the next token.
 */
export interface PhraseChunkerOptions {
  minChars: number;
  maxChars: number;
}

const SENTENCE_END = /[.!?;:]["')\]]?\s/g;
const SOFT_BREAK = /[,\u2014\u2013]\s/g;
/** Sentence punctuation (and a closing quote or bracket) ending the text, after a word. */
const SENTENCE_END_AT_TAIL = /(?:^|\s)(\S*?)([A-Za-z]+)([.!?;:])["')\]]?$/;

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
    if (endsSentence(b)) {
      return b.length;
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

/** The text ends with a sentence end that cannot be an abbreviation or part of a number. */
function endsSentence(text: string): boolean {
  const m = SENTENCE_END_AT_TAIL.exec(text);
  if (m === null) {
    return false;
  }
  const [, before = '', word = '', mark = ''] = m;
  if (before.includes('.')) {
    return false; // "e.g.", "U.S."
  }
  const first = word.charAt(0);
  const shortCapitalised = word.length <= 3 && first === first.toUpperCase();
  return !(mark === '.' && shortCapitalised);
}
