import { nowMs } from '../core/clock.js';
import type { Metrics } from '../observability/metrics.js';

/** Lower-case words without punctuation (as `normalizeText` in turn-taking, split). */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
}

/** Words of `a` found in order in `b` (longest common subsequence), over `a`'s length. */
export function echoSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0) {
    return 0;
  }
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const wa of a) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 0; j < b.length; j++) {
      row[j + 1] = wa === b[j] ? (prev[j] ?? 0) + 1 : Math.max(prev[j + 1] ?? 0, row[j] ?? 0);
    }
    prev = row;
  }
  return (prev[b.length] ?? 0) / a.length;
}

/** What a reply has sent to speech so far (read only when a transcript is checked). */
export interface SpokenSource {
  readonly spokenText: string;
}

const KEPT_REPLIES = 4;

/**
 * Echo filtering: a transcript whose words match what the agent said, while its audio
 * played or within `windowMs` after (playout time), is the agent's own voice coming back
 * (speakerphone, no echo cancellation). Such transcripts are dropped and counted; they
 * never start a turn or a barge-in. Sending a frame stores one number.
 */
export class EchoFilter {
  readonly #windowMs: number;
  readonly #minSimilarity: number;
  readonly #metrics: Metrics;
  readonly #replies: { source: SpokenSource; untilMs: number }[] = [];

  constructor(windowMs: number, minSimilarity: number, metrics: Metrics) {
    this.#windowMs = windowMs;
    this.#minSimilarity = minSimilarity;
    this.#metrics = metrics;
  }

  /** A frame of reply `source` plays until `playEndMs`. */
  played(source: SpokenSource, playEndMs: number): void {
    const last = this.#replies[this.#replies.length - 1];
    if (last?.source === source) {
      last.untilMs = Math.max(last.untilMs, playEndMs);
      return;
    }
    this.#replies.push({ source, untilMs: playEndMs });
    if (this.#replies.length > KEPT_REPLIES) {
      this.#replies.shift();
    }
  }

  /** True (and counted) when `text` is the agent's recent speech heard back. */
  isEcho(text: string, kind: 'partial' | 'final'): boolean {
    const heard = words(text);
    if (heard.length === 0) {
      return false;
    }
    const since = nowMs() - this.#windowMs;
    for (const r of this.#replies) {
      if (r.untilMs < since) {
        continue;
      }
      if (echoSimilarity(heard, words(r.source.spokenText)) >= this.#minSimilarity) {
        this.#metrics.echoDropped.labels(kind).inc();
        return true;
      }
    }
    return false;
  }
}
