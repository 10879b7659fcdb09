import { SemanticDetector } from '../../pipeline/turn-detection/semantic.js';
import { causesTable, semanticCauses, type CauseCounts } from './causes.js';
import { measureCost, type DetectorCost } from './cost.js';
import { ambiguityFloorMs, setStructure, type SetStructure } from './structure.js';
import { buildCorpus, type Split } from './corpus.js';
import { replayTurn, type Probe, type ReplayedTurn } from './replay.js';
import {
  DETECTOR_GRID,
  SILENCE_GRID,
  score,
  summarize,
  type OperatingPoint,
  type Score,
  type Summary,
} from './sweep.js';
import { SYNTH_RATE_HZ, mapLimit, synthesize } from './synth.js';

export interface TurnDetectionPlan {
  seed: number;
  /** Renditions (voice, rate, pauses, fillers) of every scripted turn. */
  variants: number;
  /** Splits to score; tuning runs pass ['tune'] so the held-out split stays unseen. */
  splits: readonly Split[];
}

export interface DetectorRow {
  split: Split;
  detector: string;
  turns: number;
  midPauses: number;
  summary: Summary;
}

export interface TurnDetectionResult {
  seed: number;
  variants: number;
  rows: DetectorRow[];
  /** Held-out scores at the operating point chosen on the tuning split for 5 % cut-offs. */
  transfer: { detector: string; point: OperatingPoint; tune: Score; heldOut: Score }[];
  /** The semantic detector's false cut-offs by cause. */
  causes: CauseCounts;
  /** What the semantic detector costs per frame, decision, transcript update and pause. */
  cost: DetectorCost;
  /** What each split's script makes hard (read from the script, not fitted). */
  structure: SetStructure[];
  table: string;
}

const BUDGETS_MS = [300, 600];
const RATES = [0.05, 0.1];

/** Inputs the detector is allowed to read; unbounded bounds, the sweep maps probability. */
const PROBES: Probe[] = [
  { name: 'semantic', make: () => semantic(true, true) },
  { name: 'semantic, text only', make: () => semantic(true, false) },
  { name: 'semantic, prosody only', make: () => semantic(false, true) },
];

function semantic(text: boolean, prosody: boolean): SemanticDetector {
  return new SemanticDetector({
    bounds: { minDelayMs: 0, maxDelayMs: 3000 },
    threshold: 0.5,
    sampleRateHz: SYNTH_RATE_HZ,
    text,
    prosody,
  });
}

/**
 * The end-of-turn evaluation (eot-bench style) on speech synthesized here: every scripted
 * turn spoken by espeak-ng, replayed through the VAD and the detectors, each detector's
 * thresholds swept, the silence baseline scored on the same pauses.
 */
export async function benchTurnDetection(
  plan: TurnDetectionPlan,
  log: (line: string) => void,
): Promise<TurnDetectionResult> {
  const corpus = buildCorpus(plan.seed, plan.variants).filter((t) => plan.splits.includes(t.split));
  log(`turn detection: synthesizing ${corpus.length} turns with espeak-ng`);
  const audio = await mapLimit(corpus, 2, (t) =>
    Promise.all(t.pieces.map((p) => synthesize(p.text, t.voice, t.wpm, t.pitch))),
  );
  const replayed = corpus.map((t, i) => replayTurn(t, i, audio[i] ?? [], PROBES, plan.seed));
  const rows: DetectorRow[] = [];
  const scores = new Map<string, Score[]>();
  for (const split of plan.splits) {
    const turns = replayed.filter((t) => t.split === split);
    const midPauses = turns.reduce((n, t) => n + t.pauses.filter((p) => !p.final).length, 0);
    const add = (detector: string, s: Score[]): void => {
      scores.set(`${split}/${detector}`, s);
      rows.push({
        split,
        detector,
        turns: turns.length,
        midPauses,
        summary: summarize(s, BUDGETS_MS, RATES),
      });
    };
    add(
      'silence (baseline)',
      SILENCE_GRID.map((op) => score(turns, undefined, op)),
    );
    PROBES.forEach((p, k) =>
      add(
        p.name,
        DETECTOR_GRID.map((op) => score(turns, k, op)),
      ),
    );
  }
  const transfer: TurnDetectionResult['transfer'] = [];
  if (plan.splits.includes('tune') && plan.splits.includes('held-out')) {
    const held = replayed.filter((t) => t.split === 'held-out');
    for (const row of rows.filter((r) => r.split === 'tune')) {
      const chosen = row.summary.waitAt[0.05];
      if (chosen === undefined) {
        continue;
      }
      const k = PROBES.findIndex((p) => p.name === row.detector);
      transfer.push({
        detector: row.detector,
        point: chosen.point,
        tune: chosen,
        heldOut: score(held, k < 0 ? undefined : k, chosen.point),
      });
    }
  }
  const causes = semanticCauses(rows, replayed, 'semantic', 0);
  const cost = measureCost(audio.slice(0, 8).flat());
  const structure = plan.splits.map((s) => setStructure(corpus, s));
  return {
    seed: plan.seed,
    variants: plan.variants,
    rows,
    transfer,
    causes,
    cost,
    structure,
    table: [
      table(rows, transfer, replayed),
      '',
      costLine(cost),
      '',
      ...structure.map(structureLine),
      ...causesTable('semantic', causes),
    ].join('\n'),
  };
}

const costLine = (c: DetectorCost): string =>
  `Semantic detector cost on this machine (wall clock, inflated when busy): ${c.perFrameUs.toFixed(1)} µs ` +
  `per 20 ms frame of audio, ${c.perDecisionUs.toFixed(2)} µs per decision (estimate), ` +
  `${c.perStopUs.toFixed(1)} µs per speech stop, ${c.perTranscriptUs.toFixed(1)} µs per transcript update.`;

const structureLine = (s: SetStructure): string =>
  `${s.split}: ${s.fallingMid} of ${s.turns} turns have a mid-turn pause voiced as a falling statement, ` +
  `${s.ambiguous} of them after words that read complete (pauses ${s.ambiguousPausesMs.join(', ')} ms): ` +
  `at most 5 % cut-offs needs about ${ambiguityFloorMs(s, 0.05)} ms of wait at such pauses; ` +
  `${s.questionsWithMidPause} question turns (rising end) have a mid pause.`;

const pct = (s: Score | undefined): string =>
  s === undefined ? '–' : `${(s.cutoffRate * 100).toFixed(1)} %`;
const ms = (s: Score | undefined): string =>
  s === undefined ? '–' : `${Math.round(s.meanWaitMs)} ms`;
const point = (s: Score | undefined): string =>
  s === undefined
    ? '–'
    : s.point.threshold >= 1 && s.point.minDelayMs === s.point.maxDelayMs
      ? `silence ${s.point.minDelayMs} ms`
      : `θ ${s.point.threshold}, ${s.point.minDelayMs}–${s.point.maxDelayMs} ms`;

function table(
  rows: readonly DetectorRow[],
  transfer: TurnDetectionResult['transfer'],
  turns: readonly ReplayedTurn[],
): string {
  const md = [
    '#### End of turn (eot-bench style, espeak-ng speech made on this machine)',
    '',
    `${turns.length} synthesized turns; a false cut-off is a turn ended at a pause before the caller`,
    'finished; wait is the mean silence from the true end of turn to the decision. "@ 300 ms": fewest',
    'cut-offs with a mean wait within 300 ms; "wait @ 5 %": shortest mean wait with at most 5 % cut-offs.',
    '',
    '| split | detector | turns (mid pauses) | false cut-offs @ 300 ms | @ 600 ms | wait @ 5 % | wait @ 10 % | point @ 5 % |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.split} | ${r.detector} | ${r.turns} (${r.midPauses}) | ${pct(r.summary.cutoffsAt[300])} | ` +
        `${pct(r.summary.cutoffsAt[600])} | ${ms(r.summary.waitAt[0.05])} | ${ms(r.summary.waitAt[0.1])} | ` +
        `${point(r.summary.waitAt[0.05])} |`,
    ),
  ];
  if (transfer.length > 0) {
    md.push(
      '',
      'Operating point chosen on the tuning split (≤ 5 % cut-offs), applied unchanged to the held-out split:',
      '',
      '| detector | point | tune cut-offs / wait | held-out cut-offs / wait |',
      '|---|---|---:|---:|',
      ...transfer.map(
        (t) =>
          `| ${t.detector} | ${point(t.tune)} | ${pct(t.tune)} / ${ms(t.tune)} | ${pct(t.heldOut)} / ${ms(t.heldOut)} |`,
      ),
    );
  }
  return md.join('\n');
}
