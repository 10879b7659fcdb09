/**
 * Text → audio timeline and alignment of the sim TTS.
 *
 * Every UTF-16 code unit of the stream's concatenated text takes msPerChar ms
 * of audio (spaces and punctuation included; whitespace is silent). The first
 * e code units end at sample round(e · msPerChar · rate / 1000).
 *
 * Audio is produced only for text known to be complete up to a boundary: up to
 * the end of the text when it ends in whitespace or was completed (Flush or
 * half-close), otherwise up to the start of the trailing, possibly unfinished
 * word. Alignment boundaries are word ends (a non-space followed by a space)
 * and completion points. A chunk ending at sample s carries
 * span.end = the largest boundary whose audio ends at or before s — so once
 * the chunk has played, every character before `end` has been spoken in full,
 * and a word's end offset first appears on the chunk holding its last sample.
 * Spans tile the text: span.start = the previous chunk's span.end.
 */

function isSpace(code: number): boolean {
  // \t \n \v \f \r, space, NBSP and the other Unicode spaces that /\s/ matches.
  return (
    code === 0x20 ||
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x80 && /\s/.test(String.fromCharCode(code)))
  );
}

export class TtsTimeline {
  readonly sampleRateHz: number;
  readonly msPerChar: number;
  #text = '';
  /** Completion points (offsets), ascending. */
  readonly #complete: number[] = [];

  constructor(sampleRateHz: number, msPerChar: number) {
    this.sampleRateHz = sampleRateHz;
    this.msPerChar = msPerChar;
  }

  get text(): string {
    return this.#text;
  }

  get length(): number {
    return this.#text.length;
  }

  append(text: string): void {
    this.#text += text;
  }

  /** The text so far is complete (Flush / half-close): its end is a boundary. */
  markComplete(): void {
    const len = this.#text.length;
    if (this.#complete[this.#complete.length - 1] !== len) {
      this.#complete.push(len);
    }
  }

  /** Sample at which the audio of the first `offset` code units ends. */
  samplesAt(offset: number): number {
    return Math.round((offset * this.msPerChar * this.sampleRateHz) / 1000);
  }

  /** Offset up to which audio may be produced now. */
  producibleOffset(): number {
    const text = this.#text;
    const len = text.length;
    const lastComplete = this.#complete[this.#complete.length - 1] ?? 0;
    if (lastComplete === len || (len > 0 && isSpace(text.charCodeAt(len - 1)))) {
      return len;
    }
    let i = len - 1;
    while (i >= lastComplete && !isSpace(text.charCodeAt(i))) {
      i--;
    }
    return Math.max(lastComplete, i + 1);
  }

  /** True when audio up to `offset` may end with a short chunk (a completion point). */
  isComplete(offset: number): boolean {
    return this.#complete.includes(offset);
  }

  /** True when `offset` is an alignment boundary (word end or completion point). */
  isBoundary(offset: number): boolean {
    const text = this.#text;
    if (offset === 0 || this.#complete.includes(offset)) {
      return true;
    }
    return (
      offset < text.length &&
      !isSpace(text.charCodeAt(offset - 1)) &&
      isSpace(text.charCodeAt(offset))
    );
  }

  /** span.end of a chunk ending at `endSample`: the last boundary in [from, upTo] spoken by then. */
  spanEnd(from: number, upTo: number, endSample: number): number {
    let end = from;
    for (let e = from + 1; e <= upTo; e++) {
      if (this.samplesAt(e) > endSample) {
        break;
      }
      if (this.isBoundary(e)) {
        end = e;
      }
    }
    return end;
  }

  /** Samples [fromSample, toSample) as runs that are voiced or silent (whitespace). */
  segments(
    fromSample: number,
    toSample: number,
  ): { start: number; end: number; silent: boolean }[] {
    const out: { start: number; end: number; silent: boolean }[] = [];
    const perChar = (this.msPerChar * this.sampleRateHz) / 1000;
    let j = Math.max(0, Math.floor(fromSample / perChar) - 1);
    while (j < this.#text.length && this.samplesAt(j + 1) <= fromSample) {
      j++;
    }
    let s = fromSample;
    while (s < toSample && j < this.#text.length) {
      const end = Math.min(toSample, this.samplesAt(j + 1));
      if (end > s) {
        const silent = isSpace(this.#text.charCodeAt(j));
        const last = out[out.length - 1];
        if (last !== undefined && last.silent === silent && last.end === s) {
          last.end = end;
        } else {
          out.push({ start: s, end, silent });
        }
        s = end;
      }
      j++;
    }
    return out;
  }
}
