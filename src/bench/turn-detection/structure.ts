import { textCue, type TextCue } from '../../pipeline/turn-detection/text-cues.js';
import type { ScriptedTurn, Split } from './corpus.js';

const READS_COMPLETE = new Set<TextCue>(['statement', 'question', 'short answer', 'closing pair']);

export interface SetStructure {
  split: Split;
  turns: number;
  /** Turns with a mid-turn pause voiced as a falling statement ('.' before the pause). */
  fallingMid: number;
  /**
   * Of those, turns where the words before that pause also read as complete: no cue the
   * detectors read (text or prosody) tells this pause from an end of turn.
   */
  ambiguous: number;
  /** The longest such pause of each ambiguous turn, ascending (ms). */
  ambiguousPausesMs: number[];
  /** Question turns (their end rises, like a continuation) with at least one mid pause. */
  questionsWithMidPause: number;
}

/**
 * What the script makes hard, read from the script alone (nothing is fitted on it): a
 * detector that ends a turn ≤ N ms after a pause that looks and reads exactly like an end
 * cuts every ambiguous turn whose pause is longer than N, so the wait at 5 % cut-offs
 * cannot fall much below the pause that leaves at most 5 % of turns cut.
 */
export function setStructure(corpus: readonly ScriptedTurn[], split: Split): SetStructure {
  const turns = corpus.filter((t) => t.split === split);
  let fallingMid = 0;
  let questionsWithMidPause = 0;
  const ambiguousPausesMs: number[] = [];
  for (const t of turns) {
    let said = '';
    let falling = false;
    let ambiguousMs = 0;
    t.pieces.forEach((p, i) => {
      said = `${said} ${p.text}`;
      if (i === t.pieces.length - 1 || !p.text.endsWith('.')) {
        return;
      }
      falling = true;
      if (READS_COMPLETE.has(textCue(said.replace(/[.,?!]/g, '')).cue)) {
        ambiguousMs = Math.max(ambiguousMs, p.pauseMs);
      }
    });
    fallingMid += falling ? 1 : 0;
    if (ambiguousMs > 0) {
      ambiguousPausesMs.push(ambiguousMs);
    }
    if (t.pieces.length > 1 && (t.pieces[t.pieces.length - 1]?.text.endsWith('?') ?? false)) {
      questionsWithMidPause++;
    }
  }
  ambiguousPausesMs.sort((a, b) => a - b);
  return {
    split,
    turns: turns.length,
    fallingMid,
    ambiguous: ambiguousPausesMs.length,
    ambiguousPausesMs,
    questionsWithMidPause,
  };
}

/**
 * The silence a detector must wait at ambiguous pauses to cut at most `rate` of the turns
 * there alone: a wait W cuts every ambiguous pause longer than W. Finals that look and read
 * the same get the same wait.
 */
export function ambiguityFloorMs(s: SetStructure, rate: number): number {
  const allowed = Math.floor(rate * s.turns);
  const n = s.ambiguousPausesMs.length;
  return n <= allowed ? 0 : (s.ambiguousPausesMs[n - allowed - 1] ?? 0);
}
