/**
 * Fits the embedded semantic detector's weights on the tuning split only (the held-out
 * split is never synthesized here): replays the tuning turns once, recording the detector's
 * evidence at every tick of every pause, then searches the weights coordinate by coordinate
 * to minimize false cut-offs at a 300 ms budget plus the wait at 5 % cut-offs, each relative
 * to the silence baseline. Prints the weights to paste into DEFAULT_SEMANTIC_WEIGHTS.
 *
 *   npx tsx src/bench/turn-detection/fit.ts [seed] [variants]
 */
import {
  DEFAULT_SEMANTIC_WEIGHTS,
  SemanticDetector,
  semanticProbability,
  type SemanticWeights,
} from '../../pipeline/turn-detection/semantic.js';
import { buildCorpus } from './corpus.js';
import { replayTurn, type ReplayedTurn } from './replay.js';
import { SILENCE_GRID, score, summarize, type OperatingPoint } from './sweep.js';
import { SYNTH_RATE_HZ, mapLimit, synthesize } from './synth.js';

/** A coarser grid than the bench's, for speed while searching. */
const FIT_GRID: OperatingPoint[] = [0.5, 0.7, 0.9].flatMap((threshold) =>
  [0, 100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200].flatMap((minDelayMs) =>
    [1500, 2000, 3000].map((maxDelayMs) => ({ threshold, minDelayMs, maxDelayMs })),
  ),
);

const STEPS: Record<keyof SemanticWeights, number[]> = {
  bias: [-2, -1.5, -1, -0.5, 0, 0.5, 1],
  text: [0.5, 1, 1.5, 2, 2.5, 3],
  textProvisional: [0, 0.25, 0.5, 0.75, 1, 1.5],
  pitchFall: [0, 0.05, 0.1, 0.2, 0.3],
  pitchSlope: [-0.2, 0, 0.1, 0.25, 0.4, 0.6, 1],
  pitchHeight: [-0.6, -0.4, -0.3, -0.2, -0.1, 0],
  energyFall: [-0.05, 0, 0.02, 0.05, 0.1],
  slowdown: [-1, -0.5, 0, 0.5, 1],
  noNewWords: [-4, -3, -2, -1, 0],
};

function objective(
  turns: ReplayedTurn[],
  w: SemanticWeights,
  base: Baseline,
  parts?: (cut: number, wait: number) => void,
): number {
  for (const t of turns) {
    for (const p of t.pauses) {
      p.probability[0] = (p.evidence ?? []).map((e) => semanticProbability(e, w));
    }
  }
  const s = summarize(
    FIT_GRID.map((op) => score(turns, 0, op)),
    [300],
    [0.05],
  );
  const cut = s.cutoffsAt[300]?.cutoffRate ?? 1;
  const wait = s.waitAt[0.05]?.meanWaitMs ?? 3000;
  parts?.(cut, wait);
  return cut / base.cut + wait / base.wait;
}

interface Baseline {
  cut: number;
  wait: number;
}

async function main(): Promise<void> {
  const seed = Number(process.argv[2] ?? 19);
  const variants = Number(process.argv[3] ?? 4);
  const corpus = buildCorpus(seed, variants).filter((t) => t.split === 'tune');
  const audio = await mapLimit(corpus, 2, (t) =>
    Promise.all(t.pieces.map((p) => synthesize(p.text, t.voice, t.wpm, t.pitch))),
  );
  const probe = {
    name: 'semantic',
    make: () =>
      new SemanticDetector({
        bounds: { minDelayMs: 0, maxDelayMs: 3000 },
        threshold: 0.5,
        sampleRateHz: SYNTH_RATE_HZ,
      }),
  };
  const turns = corpus.map((t, i) => replayTurn(t, i, audio[i] ?? [], [probe], seed, true));
  const b = summarize(
    SILENCE_GRID.map((op) => score(turns, undefined, op)),
    [300],
    [0.05],
  );
  const base = { cut: b.cutoffsAt[300]?.cutoffRate ?? 1, wait: b.waitAt[0.05]?.meanWaitMs ?? 1 };
  let w: SemanticWeights = { ...DEFAULT_SEMANTIC_WEIGHTS };
  let best = objective(turns, w, base);
  console.log(`tune split: ${turns.length} turns; start ${best.toFixed(3)}`);
  for (let round = 0; round < 3; round++) {
    let improved = false;
    for (const key of Object.keys(STEPS) as (keyof SemanticWeights)[]) {
      for (const v of STEPS[key]) {
        const trial = { ...w, [key]: v };
        const j = objective(turns, trial, base);
        if (j < best - 1e-9) {
          best = j;
          w = trial;
          improved = true;
        }
      }
    }
    objective(turns, w, base, (cut, wait) =>
      console.log(
        `round ${round + 1}: ${best.toFixed(3)} (cut-offs @ 300 ms ${(cut * 100).toFixed(1)} %, ` +
          `wait @ 5 % ${Math.round(wait)} ms) ${JSON.stringify(w)}`,
      ),
    );
    if (!improved) {
      break;
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
