import type { DetectorRow } from './index.js';
import type { ReplayedTurn } from './replay.js';
import { cutoffCauses } from './sweep.js';

/** Cut turns by cause, per split and operating point ("tune @ 300 ms" → cause → turns). */
export type CauseCounts = Record<string, Record<string, number>>;

/**
 * Where the semantic detector's false cut-offs come from, at its own "@ 300 ms" and
 * "wait @ 5 %" points on each split: cut turns by what the detector had read when it cut.
 */
export function semanticCauses(
  rows: readonly DetectorRow[],
  replayed: readonly ReplayedTurn[],
  detector: string,
  probe: number,
): CauseCounts {
  const out: CauseCounts = {};
  for (const row of rows.filter((r) => r.detector === detector)) {
    const turns = replayed.filter((t) => t.split === row.split);
    const points: [string, DetectorRow['summary']['waitAt'][number]][] = [
      ['@ 300 ms', row.summary.cutoffsAt[300]],
      ['@ 5 %', row.summary.waitAt[0.05]],
    ];
    for (const [label, s] of points) {
      if (s !== undefined) {
        out[`${row.split} ${label}`] = Object.fromEntries(cutoffCauses(turns, probe, s.point));
      }
    }
  }
  return out;
}

export function causesTable(detector: string, counts: CauseCounts): string[] {
  const columns = Object.keys(counts);
  const causes = [...new Set(columns.flatMap((c) => Object.keys(counts[c] ?? {})))].sort(
    (a, b) => total(counts, b) - total(counts, a),
  );
  if (columns.length === 0 || causes.length === 0) {
    return [];
  }
  return [
    '',
    `Where the ${detector} detector's false cut-offs come from (cut turns, by what it had read at the pause that cut):`,
    '',
    `| cause | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...causes.map((c) => `| ${c} | ${columns.map((k) => counts[k]?.[c] ?? 0).join(' | ')} |`),
  ];
}

function total(counts: CauseCounts, cause: string): number {
  return Object.values(counts).reduce((n, c) => n + (c[cause] ?? 0), 0);
}
