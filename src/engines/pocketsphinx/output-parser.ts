/**
 * Parses `pocketsphinx_continuous -time yes` stdout: per utterance, one
 * hypothesis line followed by one line per segment, `word start end posterior`
 * (seconds from the start of the decoder's input), all written in one flush.
 *
 *   what is the weather today
 *   <sil> 0.000 0.470 1.000000
 *   what 0.480 0.690 1.000000
 *   today(2) 1.280 1.740 1.000000
 *
 * An utterance is complete when the next hypothesis starts, when a read ends
 * on a line boundary (the decoder flushes each utterance at once), or at the
 * end of the output. A trailing line without a newline at the end is dropped.
 */
export interface WordTime {
  word: string;
  startSec: number;
  endSec: number;
  posterior: number;
}

export interface DecodedUtterance {
  text: string;
  /** Words only (fillers such as <sil>, <s>, [NOISE] are left out), alternates' (n) stripped. */
  words: WordTime[];
}

const SEGMENT = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/i;

export function isFiller(word: string): boolean {
  return /^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(word);
}

export class HypothesisParser {
  readonly #onUtterance: (u: DecodedUtterance) => void;
  #carry = '';
  #pending: DecodedUtterance | undefined;

  constructor(onUtterance: (u: DecodedUtterance) => void) {
    this.#onUtterance = onUtterance;
  }

  push(chunk: string): void {
    const text = this.#carry + chunk;
    const lines = text.split('\n');
    this.#carry = lines.pop() ?? '';
    for (const raw of lines) {
      this.#line(raw.replace(/\r$/, ''));
    }
    if (this.#carry === '') {
      this.#complete();
    }
  }

  /** End of output: complete what is pending. */
  end(): void {
    this.#carry = '';
    this.#complete();
  }

  #line(line: string): void {
    const seg = SEGMENT.exec(line);
    if (seg !== null) {
      const [, word = '', start = '0', end = '0', posterior = '0'] = seg;
      if (this.#pending !== undefined && !isFiller(word)) {
        this.#pending.words.push({
          word: word.replace(/\(\d+\)$/, ''),
          startSec: Number(start),
          endSec: Number(end),
          posterior: Number(posterior),
        });
      }
      return;
    }
    this.#complete();
    this.#pending = { text: line.trim().replace(/\s+/g, ' '), words: [] };
  }

  #complete(): void {
    const u = this.#pending;
    this.#pending = undefined;
    if (u !== undefined) {
      this.#onUtterance(u);
    }
  }
}
