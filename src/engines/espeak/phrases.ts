/**
 * Cuts a TTS stream's text into phrases as it arrives. Offsets are UTF-16
 * code units of the stream's concatenated text (the alignment unit of
 * tts.proto). A phrase ends:
 * - after clause punctuation (. ! ? ; : ,) with optional closing quotes or
 *   brackets, followed by whitespace, or at a line break;
 * - at the last whitespace once the text before it is ≥ minChars (so a relay
 *   that sends ready-made phrases gets each synthesised at once);
 * - at the last whitespace before maxChars (or at maxChars) when it grows
 *   longer without a break;
 * - at a completion point (Flush, half-close): everything left.
 * A word is never cut except by a completion point or maxChars without spaces.
 */
export interface Phrase {
  text: string;
  /** [start, end) in the stream's text. */
  start: number;
  end: number;
}

export interface PhraseSplitterOptions {
  minChars: number;
  maxChars: number;
}

const CLAUSE_END = /[.!?;:,\u2026]["'\u201d\u2019)\]]*\s+|\n\s*/g;

export class PhraseSplitter {
  readonly #minChars: number;
  readonly #maxChars: number;
  #pending = '';
  /** Offset of #pending in the stream text. */
  #offset = 0;

  constructor(options: Partial<PhraseSplitterOptions> = {}) {
    this.#minChars = Math.max(1, options.minChars ?? 24);
    this.#maxChars = Math.max(this.#minChars, options.maxChars ?? 400);
  }

  /** Length of all text appended so far. */
  get length(): number {
    return this.#offset + this.#pending.length;
  }

  /** Append text; returns the phrases it completed (often none). */
  push(text: string): Phrase[] {
    this.#pending += text;
    const out: Phrase[] = [];
    for (;;) {
      const cut = this.#findCut();
      if (cut <= 0) {
        return out;
      }
      out.push(this.#take(cut));
    }
  }

  /** A completion point: the rest as one phrase (undefined when nothing is left). */
  end(): Phrase | undefined {
    return this.#pending === '' ? undefined : this.#take(this.#pending.length);
  }

  #take(cut: number): Phrase {
    const text = this.#pending.slice(0, cut);
    const phrase = { text, start: this.#offset, end: this.#offset + cut };
    this.#pending = this.#pending.slice(cut);
    this.#offset += cut;
    return phrase;
  }

  #findCut(): number {
    const p = this.#pending;
    CLAUSE_END.lastIndex = 0;
    const clause = CLAUSE_END.exec(p);
    const clauseEnd = clause === null ? 0 : clause.index + clause[0].length;
    if (clauseEnd > 0 && clauseEnd <= this.#maxChars) {
      return clauseEnd;
    }
    if (p.length > this.#maxChars) {
      const within = lastWhitespaceEnd(p.slice(0, this.#maxChars));
      return within > 0 ? within : this.#maxChars;
    }
    const lastSpace = lastWhitespaceEnd(p);
    return lastSpace >= this.#minChars ? lastSpace : 0;
  }
}

/** Index just after the last whitespace run of `s` (0 when it has none). */
function lastWhitespaceEnd(s: string): number {
  for (let i = s.length - 1; i >= 0; i--) {
    if (/\s/.test(s[i] ?? '')) {
      return i + 1;
    }
  }
  return 0;
}
