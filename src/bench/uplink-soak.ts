import { BURSTY_ARRIVAL } from './speech-load.js';
import type { Summary } from './stats.js';
import type { UplinkEnv } from './uplink-env.js';
import { uplinkRound } from './uplink.js';

export interface SoakResult {
  streams: number;
  seconds: number;
  utterances: number;
  sttCancels: number;
  cancelPct: number;
  otherCancels: number;
  turns: number;
  received: number;
  toStt: number;
  ratio: number;
  sttBackpressure: number;
  sttRestart: number;
  audioDroppedErrors: number;
  cpuShare: number;
  cpuUsPerFrame: number;
  up: Summary;
  /** Per 10 s window from the start: STT-budget cancels and the sessions they hit. */
  windows: { startS: number; cancels: number; sessions: number }[];
  loadAvg: number[];
}

/** `streams` speech-like relay sessions for `seconds`, STT-budget cancels per 10 s window. */
export async function benchSoak(
  env: UplinkEnv,
  o: { streams: number; seconds: number },
  log: (line: string) => void,
): Promise<SoakResult> {
  const r = await uplinkRound(
    env,
    { name: 'relay', target: env.relayTarget, child: env.relay },
    {
      streams: o.streams,
      warmupMs: 0,
      measureMs: o.seconds * 1000,
      arrival: BURSTY_ARRIVAL,
      seed: 4242,
    },
  );
  const windows: SoakResult['windows'] = [];
  for (let s = 0; s < o.seconds; s += 10) {
    windows.push({ startS: s, cancels: 0, sessions: 0 });
  }
  const hit = windows.map(() => new Set<number>());
  let other = 0;
  r.logs.forEach((l, session) => {
    for (const b of l?.budgetCancels ?? []) {
      if (b.stage !== 'stt') {
        other++;
        continue;
      }
      const w = Math.min(windows.length - 1, Math.floor((b.atMs - r.startedAtMs) / 10_000));
      const row = windows[Math.max(0, w)];
      if (row !== undefined) {
        row.cancels++;
        hit[Math.max(0, w)]?.add(session);
      }
    }
  });
  windows.forEach((w, i) => (w.sessions = hit[i]?.size ?? 0));
  const res: SoakResult = {
    streams: r.streams,
    seconds: o.seconds,
    utterances: r.utterances,
    sttCancels: r.budgetCancels,
    cancelPct: r.utterances === 0 ? NaN : (100 * r.budgetCancels) / r.utterances,
    otherCancels: other,
    turns: r.turns,
    received: r.received,
    toStt: r.toStt,
    ratio: r.ratio,
    sttBackpressure: r.sttBackpressure,
    sttRestart: r.sttRestart,
    audioDroppedErrors: r.audioDroppedErrors,
    cpuShare: r.cpuShare,
    cpuUsPerFrame: r.cpuUsPerFrame,
    up: r.up,
    windows,
    loadAvg: [],
  };
  log(
    `  soak: ${res.sttCancels} STT-budget cancels / ${res.utterances} utterances (${res.cancelPct.toFixed(2)} %), ` +
      `to STT ${res.toStt}/${res.received}, worst window ${Math.max(0, ...windows.map((w) => w.sessions))} sessions`,
  );
  return res;
}
