/**
 * Provider timing → our alignment spans. A TTS stream's text is the
 * concatenation of its TextChunks (UTF-16 offsets). Providers report when
 * characters (ElevenLabs) or words (Cartesia) are spoken, in ms of the
 * stream's audio; `TextAligner` finds those characters/words in our text and
 * `SpanCutter` cuts the provider's audio at every word end, so the piece that
 * ends a word carries a span ending right after it. Once the relay has played
 * a piece completely, every character before its span end was spoken: heard
 * text stays exact at word granularity. Words are only claimed once we know
 * they ended (the next character is whitespace, or the text is complete);
 * unknown or normalised characters are skipped, never guessed.
 */

const SPACE = /\s/;

export class TextAligner {
  #text = '';
  #cursor = 0;
  #ended = false;

  get text(): string {
    return this.#text;
  }

  get ended(): boolean {
    return this.#ended;
  }

  append(text: string): void {
    this.#text += text;
  }

  /** No more text will come. */
  end(): void {
    this.#ended = true;
  }

  /**
   * The offset of the provider's next spoken character `ch` in our text, or
   * undefined when it is not ours (extra whitespace, normalised text).
   */
  locateChar(ch: string): number | undefined {
    if (ch === '') {
      return undefined;
    }
    const at = this.#text.startsWith(ch, this.#cursor)
      ? this.#cursor
      : SPACE.test(ch)
        ? -1
        : this.#text.indexOf(ch, this.#cursor);
    if (at < 0 || at - this.#cursor > 8) {
      return undefined;
    }
    this.#cursor = at + ch.length;
    return at + ch.length - 1;
  }

  /** The end offset of the provider's next spoken word in our text, or undefined. */
  locateWord(word: string): number | undefined {
    const w = word.trim();
    if (w === '') {
      return undefined;
    }
    const at = this.#text.indexOf(w, this.#cursor);
    if (at < 0 || this.#text.slice(this.#cursor, at).trim().length > 8) {
      return undefined;
    }
    this.#cursor = at + w.length;
    return this.#cursor;
  }

  /** Does a word end right before `end`? undefined while that is not known yet. */
  isWordEnd(end: number): boolean | undefined {
    if (end <= 0) {
      return false;
    }
    if (end >= this.#text.length) {
      return this.#ended ? true : undefined;
    }
    const next = this.#text[end] ?? '';
    return SPACE.test(next) && !SPACE.test(this.#text[end - 1] ?? ' ');
  }
}

export interface SpannedPiece {
  audio: Buffer;
  spanStart: number;
  spanEnd: number;
  durationMs: number;
}

interface Mark {
  atMs: number;
  end: number;
}

export class SpanCutter {
  readonly #aligner: TextAligner;
  readonly #bytesPerSample: number;
  readonly #rateHz: number;
  #marks: Mark[] = [];
  #samples = 0;
  #spanEnd = 0;

  constructor(aligner: TextAligner, bytesPerSample: number, rateHz: number) {
    this.#aligner = aligner;
    this.#bytesPerSample = bytesPerSample;
    this.#rateHz = rateHz;
  }

  /** Audio emitted so far, in ms. */
  get audioMs(): number {
    return (this.#samples / this.#rateHz) * 1000;
  }

  get spanEnd(): number {
    return this.#spanEnd;
  }

  /** The text before `end` is spoken completely at stream time `atMs` (if a word ends there). */
  mark(atMs: number, end: number): void {
    if (end > this.#spanEnd) {
      this.#marks.push({ atMs, end });
    }
  }

  /** Cut the next chunk of stream audio at the word ends it contains. */
  cut(audio: Buffer): SpannedPiece[] {
    const samples = Math.floor(audio.length / this.#bytesPerSample);
    const startSample = this.#samples;
    const pieces: SpannedPiece[] = [];
    let from = 0;
    let carry = this.#spanEnd;
    while (this.#marks.length > 0) {
      const m = this.#marks[0]!;
      const boundary = this.#aligner.isWordEnd(m.end);
      if (boundary === undefined) {
        break; // not known yet whether the word goes on
      }
      const at = Math.round((m.atMs * this.#rateHz) / 1000) - startSample;
      if (at > samples) {
        break; // ends in a later chunk
      }
      this.#marks.shift();
      if (!boundary || m.end <= carry) {
        continue;
      }
      const to = Math.max(from, at);
      if (to > from) {
        pieces.push(this.#piece(audio, from, to, carry, m.end));
        from = to;
      } else {
        const last = pieces[pieces.length - 1];
        if (last !== undefined) {
          last.spanEnd = m.end;
        }
      }
      carry = m.end;
    }
    if (from < samples || pieces.length === 0) {
      pieces.push(this.#piece(audio, from, samples, carry, carry));
    }
    // A mark at the very start of this chunk (spoken by earlier audio) lands on its first piece.
    this.#samples += samples;
    this.#spanEnd = Math.max(this.#spanEnd, ...pieces.map((p) => p.spanEnd));
    return pieces;
  }

  /** The text is complete and all audio is out: the span to claim on a last empty piece. */
  finish(): number {
    this.#marks = [];
    return this.#aligner.text.length;
  }

  #piece(audio: Buffer, from: number, to: number, start: number, end: number): SpannedPiece {
    const b = this.#bytesPerSample;
    return {
      audio: audio.subarray(from * b, to * b),
      spanStart: start,
      spanEnd: end,
      durationMs: ((to - from) / this.#rateHz) * 1000,
    };
  }
}
