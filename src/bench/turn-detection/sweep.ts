import { waitForProbability } from '../../pipeline/turn-detection/detector.js';
import { normalizeText } from '../../pipeline/turn-taking.js';
import { textCue } from '../../pipeline/turn-detection/text-cues.js';
import type { ReplayedTurn } from './replay.js';
import { TAIL_MS } from './replay.js';

/** One operating point of a detector: how it maps probability to a wait. */
export interface OperatingPoint {
  threshold: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export interface Score {
  point: OperatingPoint;
  /** Share of turns the detector ended at a pause before the caller had finished. */
  cutoffRate: number;
  /** Mean silence between the true end of turn and the detector's decision, ms. */
  meanWaitMs: number;
}

/** Tick at which the detector ends the turn in this pause (−1: never). */
function decisionTick(
  silence: readonly number[],
  p: readonly number[] | undefined,
  op: OperatingPoint,
): number {
  for (let i = 0; i < silence.length; i++) {
    const s = silence[i] ?? 0;
    const wait = p === undefined ? op.minDelayMs : waitForProbability(p[i] ?? 0, op.threshold, op);
    if (s >= wait) {
      return i;
    }
  }
  return -1;
}

/** Silence at which the detector ends the turn in this pause (Infinity: never). */
function decisionMs(
  silence: readonly number[],
  p: readonly number[] | undefined,
  op: OperatingPoint,
): number {
  const i = decisionTick(silence, p, op);
  return i < 0 ? Infinity : (silence[i] ?? Infinity);
}

/**
 * Scores one operating point over turns, causally: at every pause the VAD saw, the
 * detector ends the turn at the first tick where the silence reaches its wait. A mid-turn
 * pause ended before the caller resumed is a false cut-off (counted once per turn); the
 * final pause's decision time is the wait. `probe` undefined: the silence baseline (wait =
 * minDelayMs whatever was said).
 */
export function score(
  turns: readonly ReplayedTurn[],
  probe: number | undefined,
  op: OperatingPoint,
): Score {
  let cut = 0;
  let waitSum = 0;
  for (const t of turns) {
    let isCut = false;
    for (const pause of t.pauses) {
      const p = probe === undefined ? undefined : pause.probability[probe];
      const at = decisionMs(pause.silenceMs, p, op);
      if (pause.final) {
        waitSum += Math.min(at, TAIL_MS);
      } else if (at < pause.lengthMs) {
        isCut = true;
      }
    }
    if (isCut) {
      cut++;
    }
  }
  const n = Math.max(1, turns.length);
  return { point: op, cutoffRate: cut / n, meanWaitMs: waitSum / n };
}

export const SILENCE_GRID: OperatingPoint[] = range(100, 3000, 20).map((ms) => ({
  threshold: 1,
  minDelayMs: ms,
  maxDelayMs: ms,
}));

export const DETECTOR_GRID: OperatingPoint[] = [
  0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95,
].flatMap((threshold) =>
  range(0, 1600, 40).flatMap((minDelayMs) =>
    [400, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000]
      .filter((max) => max > minDelayMs)
      .map((maxDelayMs) => ({ threshold, minDelayMs, maxDelayMs })),
  ),
);

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) {
    out.push(v);
  }
  return out;
}

export interface Summary {
  /** Lowest cut-off rate with a mean wait within the budget, and the point reaching it. */
  cutoffsAt: Record<number, Score | undefined>;
  /** Shortest mean wait with at most this cut-off rate. */
  waitAt: Record<number, Score | undefined>;
}

export function summarize(
  scores: readonly Score[],
  budgetsMs: readonly number[],
  rates: readonly number[],
): Summary {
  const cutoffsAt: Summary['cutoffsAt'] = {};
  const waitAt: Summary['waitAt'] = {};
  for (const b of budgetsMs) {
    cutoffsAt[b] = best(
      scores.filter((s) => s.meanWaitMs <= b),
      (s) => s.cutoffRate,
      (s) => s.meanWaitMs,
    );
  }
  for (const r of rates) {
    waitAt[r] = best(
      scores.filter((s) => s.cutoffRate <= r),
      (s) => s.meanWaitMs,
      (s) => s.cutoffRate,
    );
  }
  return { cutoffsAt, waitAt };
}

function best(
  xs: readonly Score[],
  key: (s: Score) => number,
  tie: (s: Score) => number,
): Score | undefined {
  let b: Score | undefined;
  for (const s of xs) {
    if (b === undefined || key(s) < key(b) || (key(s) === key(b) && tie(s) < tie(b))) {
      b = s;
    }
  }
  return b;
}

/**
 * Where the false cut-offs at one operating point come from: for each cut turn, the first
 * pause that cut it, by what the detector had read by then — the STT still behind the
 * words said, a filler the STT dropped, or the cue of the transcript's ending.
 */
export function cutoffCauses(
  turns: readonly ReplayedTurn[],
  probe: number | undefined,
  op: OperatingPoint,
): Map<string, number> {
  const causes = new Map<string, number>();
  for (const t of turns) {
    for (const pause of t.pauses) {
      const p = probe === undefined ? undefined : pause.probability[probe];
      const i = decisionTick(pause.silenceMs, p, op);
      if (pause.final || i < 0 || (pause.silenceMs[i] ?? 0) >= pause.lengthMs) {
        continue;
      }
      const c = cause(pause.spoken, pause.seen[i] ?? '');
      causes.set(c, (causes.get(c) ?? 0) + 1);
      break;
    }
  }
  return causes;
}

const FILLER = /^(um|uh|er|erm)$/;

function cause(spoken: string, seen: string): string {
  const words = (s: string): string[] => {
    const n = normalizeText(s);
    return n === '' ? [] : n.split(' ');
  };
  const said = words(spoken);
  const got = words(seen);
  if (got.filter((w) => !FILLER.test(w)).length < said.filter((w) => !FILLER.test(w)).length) {
    return 'STT behind the words said';
  }
  if (FILLER.test(said[said.length - 1] ?? '') && !FILLER.test(got[got.length - 1] ?? '')) {
    return 'filler dropped by the STT';
  }
  return `ends: ${textCue(seen).cue}`;
}
