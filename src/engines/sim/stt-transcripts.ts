/**
 * The sim STT's deterministic transcript rule.
 *
 * - Scripted: when RecognitionConfig.options has `transcripts` (a JSON array of
 *   strings, or a `|`-separated list), utterance k (1-based within the stream)
 *   is transcribed as entry (k - 1) mod n.
 * - Otherwise: utterance k with voiced duration D ms has
 *   n = max(1, round(D / msPerWord)) words; word i (0-based) is
 *   SIM_WORDS[(7·(k - 1) + i) mod SIM_WORDS.length].
 *
 * Interim results are prefixes of the final text: after V ms of voiced audio
 * they hold max(1, round(V / msPerWord)) words (never more than the final has).
 * Both rules depend only on (k, voiced duration), so a test can predict them.
 */

export const SIM_WORDS: readonly string[] = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel',
  'india', 'juliett', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa',
  'quebec', 'romeo', 'sierra', 'tango', 'uniform', 'victor', 'whiskey', 'xray',
  'yankee', 'zulu', 'one', 'two', 'three', 'four', 'five', 'six',
]; // prettier-ignore

/** The scripted transcripts of a RecognitionConfig's options (undefined when absent or empty). */
export function parseTranscriptOption(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error('options.transcripts is not a valid JSON array');
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length === 0 ||
      !parsed.every((s) => typeof s === 'string')
    ) {
      throw new Error('options.transcripts must be a non-empty JSON array of strings');
    }
    return parsed;
  }
  return trimmed.split('|').map((s) => s.trim());
}

function wordCount(voicedMs: number, msPerWord: number): number {
  return Math.max(1, Math.round(voicedMs / msPerWord));
}

export class TranscriptRule {
  readonly #script: readonly string[] | undefined;
  readonly #msPerWord: number;

  constructor(script: readonly string[] | undefined, msPerWord: number) {
    this.#script = script;
    this.#msPerWord = msPerWord;
  }

  /** The words of utterance k's final transcript, given its voiced duration. */
  finalWords(utterance: number, voicedMs: number): string[] {
    const script = this.#script;
    if (script !== undefined) {
      const text = script[(utterance - 1) % script.length] ?? '';
      return text.split(/\s+/).filter((w) => w !== '');
    }
    const n = wordCount(voicedMs, this.#msPerWord);
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      words.push(SIM_WORDS[(7 * (utterance - 1) + i) % SIM_WORDS.length] ?? '');
    }
    return words;
  }

  /** Final transcript text of utterance k. */
  finalText(utterance: number, voicedMs: number): string {
    return this.finalWords(utterance, voicedMs).join(' ');
  }

  /** Interim transcript after `voicedMs` of voiced audio: a word prefix of the final. */
  partialText(utterance: number, voicedMs: number): string {
    const n = wordCount(voicedMs, this.#msPerWord);
    if (this.#script !== undefined) {
      return this.finalWords(utterance, voicedMs).slice(0, n).join(' ');
    }
    // The word-list final has at least n words once voicing reaches voicedMs.
    return this.finalWords(utterance, voicedMs).join(' ');
  }
}
