import { UPLINK_PROFILES } from '../testing/impairment.js';
import { quantile } from './stats.js';
import { uplinkRound, type UplinkArm, type UplinkRound } from './uplink.js';
import type { UplinkEnv } from './uplink-env.js';

export interface ImpairedRow {
  profile: string;
  streams: number;
  /** Frames sent at least once (not truly lost). */
  expected: number;
  /** Of those, never delivered to STT. */
  missing: number;
  outOfOrder: number;
  duplicatesAtStt: number;
  /** Delivery to STT minus the in-order, unimpaired delivery of the same frame (ms). */
  addedP50Ms: number;
  addedP99Ms: number;
  addedMaxMs: number;
  /** Delivery minus the earliest in-order delivery the arrival allowed (the relay's own wait), ms. */
  holdP50Ms: number;
  holdP99Ms: number;
  cancels: number;
  utterances: number;
}

/**
 * Each acceptance profile of the impairment harness through the relay, frames traced at the
 * STT. Oracle: the in-order run's delivery (frame k due at its capture end, plus the path's
 * median latency there). "Added" is what the impairment and the relay cost together;
 * "hold" is what the relay added beyond the earliest moment every earlier frame that was
 * sent had been sent (an oracle reorder buffer that knows which frames are lost).
 */
export async function benchImpaired(
  env: UplinkEnv,
  o: { streams: number; seconds: number },
  log: (line: string) => void,
): Promise<ImpairedRow[]> {
  const relay: UplinkArm = {
    name: 'relay',
    target: env.relayTarget,
    child: env.relay,
  };
  const rows: ImpairedRow[] = [];
  let baselineUs = NaN;
  let transportUs = NaN;
  for (const profile of Object.values(UPLINK_PROFILES)) {
    const r = await uplinkRound(env, relay, {
      streams: o.streams,
      warmupMs: 0,
      measureMs: o.seconds * 1000,
      arrival: profile,
      seed: 77,
      trace: true,
    });
    const a = analyseTrace(r);
    if (profile === UPLINK_PROFILES.inOrder) {
      baselineUs = quantile(a.delayUs, 0.5);
      transportUs = quantile(a.pathUs, 0.5);
    }
    const added = a.delayUs.map((v) => (v - baselineUs) / 1000);
    const hold = a.holdUs.map((v) => (v - transportUs) / 1000);
    const row: ImpairedRow = {
      profile: profile.name,
      streams: r.streams,
      expected: a.expected,
      missing: a.missing,
      outOfOrder: r.outOfOrder,
      duplicatesAtStt: a.duplicates,
      addedP50Ms: quantile(added, 0.5),
      addedP99Ms: quantile(added, 0.99),
      addedMaxMs: added.length === 0 ? NaN : (added[added.length - 1] ?? NaN),
      holdP50Ms: quantile(hold, 0.5),
      holdP99Ms: quantile(hold, 0.99),
      cancels: r.budgetCancels,
      utterances: r.utterances,
    };
    rows.push(row);
    log(
      `  ${profile.name}: missing ${row.missing}/${row.expected}, out of order ${row.outOfOrder}, ` +
        `added p50 ${row.addedP50Ms.toFixed(1)} p99 ${row.addedP99Ms.toFixed(1)} ms, hold p99 ${row.holdP99Ms.toFixed(1)} ms`,
    );
  }
  return rows;
}

interface TraceAnalysis {
  expected: number;
  missing: number;
  duplicates: number;
  /** Per delivered frame, sorted ascending: receive − capture end (µs). */
  delayUs: Float64Array;
  /** receive − send of the frame (µs), sorted. */
  pathUs: Float64Array;
  /** receive − max(send of every delivered frame ≤ it), sorted (µs). */
  holdUs: Float64Array;
}

function analyseTrace(r: UplinkRound): TraceAnalysis {
  const oracle = r.oracle ?? [];
  const byStream = new Map<number, Map<number, { sendUs: number; recvUs: number }>>();
  let duplicates = 0;
  for (const [stream, seq, sendUs, recvUs] of r.trace ?? []) {
    let m = byStream.get(stream);
    if (m === undefined) {
      m = new Map();
      byStream.set(stream, m);
    }
    if (m.has(seq)) {
      duplicates++;
    } else {
      m.set(seq, { sendUs, recvUs });
    }
  }
  const delay: number[] = [];
  const path: number[] = [];
  const hold: number[] = [];
  let expected = 0;
  let missing = 0;
  oracle.forEach((o, stream) => {
    const m = byStream.get(stream) ?? new Map<number, { sendUs: number; recvUs: number }>();
    let latestSend = 0;
    for (let k = 0; k < r.frames; k++) {
      if (o.lost.has(Math.floor(k / o.per))) {
        continue;
      }
      expected++;
      const f = m.get(k);
      if (f === undefined) {
        missing++;
        continue;
      }
      latestSend = Math.max(latestSend, f.sendUs);
      delay.push(f.recvUs - (o.t0Us + (k + 1) * 20_000));
      path.push(f.recvUs - f.sendUs);
      hold.push(f.recvUs - latestSend);
    }
  });
  const sorted = (v: number[]): Float64Array => Float64Array.from(v).sort();
  return {
    expected,
    missing,
    duplicates,
    delayUs: sorted(delay),
    pathUs: sorted(path),
    holdUs: sorted(hold),
  };
}
