import { fmt, fmtSpread } from './stats.js';
import type { UplinkArmSummary, UplinkResult } from './uplink.js';
import type { SoakResult } from './uplink-soak.js';
import type { ImpairedRow } from './uplink-impaired.js';

const pct = (v: number, digits = 2): string => fmt(v * 100, digits);

function armRow(streams: number, a: UplinkArmSummary): string {
  return (
    `| ${streams} | ${a.arm} | ${a.toStt} / ${a.received} | **${pct(a.ratio)}** | ${fmtSpread({
      median: a.roundRatios.median * 100,
      min: a.roundRatios.min * 100,
      max: a.roundRatios.max * 100,
    })} | ${a.sttBackpressure} / ${a.sttRestart} | ${a.sttReconnects} / ${a.sttReplayed} | ${fmtSpread(a.cpuUsPerFrame, 1)} | ${fmt(a.eventsPerFrame, 3)} / ${fmt(a.audioOutPerFrame, 3)} | ${fmt(a.cpuUsPerMessage.median, 1)} | ${pct(a.cpuShare.median, 0)} | ` +
    `${a.budgetCancels} / ${a.utterances} | ${a.turns} | ${fmt(a.p50Us.median / 1000, 1)} / ${fmt(a.p99Us.median / 1000, 1)} | ` +
    `${pct(a.boxBusy.median, 0)} | ${fmt(a.sendLagP99Ms.median, 1)} |`
  );
}

/** Markdown of the uplink benchmark (relay vs bare forwarder, impaired profiles). */
export function uplinkMarkdown(u: UplinkResult, rounds: number): string[] {
  const md = [
    `### Uplink under speech-like load: relay vs bare forwarder (${rounds} interleaved rounds per size, ${u.measureS} s each)`,
    '',
    'Every stream talks in turns (voiced 1.0–2.6 s, then 0.9–2.5 s of silence: voice about half the',
    'time), a voiced harmonic signal at about -16 dBFS; bursty arrival: ' + u.arrival + '.',
    'Relay: the `speech` pipeline: per frame reorder, energy VAD, turn-taking and the STT write;',
    'per utterance the STT partials and final as events to the client, an LLM and a TTS stream, and',
    'the reply audio paced down to the client (STT on the counting sim engine process, LLM and TTS',
    'on a second one, so the STT engine does the same work for both arms).',
    'Forwarder: ws in, one gRPC Recognize stream per connection to the same sim STT, the same',
    'channel options and drop rule (500 frames waiting in the write buffer), nothing else: it',
    'reads no STT response and sends its clients nothing but `session.ready`.',
    '"to STT": frames the sim STT received, each once (a re-opened stream\'s replay is not counted',
    'again), ÷ frames the process received (all rounds pooled);',
    'CPU per frame: process CPU (user + system) in the window ÷ frames received in it. Out per',
    'frame: JSON events / reply audio frames the clients got ÷ frames received (whole round).',
    'CPU per message: CPU per frame ÷ (1 + out per frame), i.e. per message moved either way.',
    '',
    '| streams | arm | to STT / received | to STT % | round % | stt_backpressure / stt_restart drops | STT re-opens / frames replayed | CPU µs per frame | out per frame: events / audio | CPU µs per message | CPU % of a core | STT-budget cancels / utterances | turns | STT latency p50 / p99 ms | box busy % | sender lag p99 ms |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const l of u.levels) {
    md.push(armRow(l.streams, l.relay), armRow(l.streams, l.forwarder));
  }
  md.push(
    '',
    '| streams | relay ÷ forwarder: to STT % | CPU per frame | CPU per message |',
    '|---:|---:|---:|---:|',
    ...u.levels.map(
      (l) =>
        `| ${l.streams} | ${pct(l.relay.ratio)} ÷ ${pct(l.forwarder.ratio)} | ${fmtSpread(l.cpuRatio)} | ${fmtSpread(l.cpuRatioPerMessage)} |`,
    ),
    '',
  );
  return md;
}

/** Markdown of the impaired profiles against the oracle. */
export function impairedMarkdown(rows: readonly ImpairedRow[]): string[] {
  return [
    '### Impaired profiles through the relay, against the in-order oracle',
    '',
    '"added": delivery to STT minus the same frame\'s in-order, unimpaired delivery (capture end +',
    'the in-order run\'s median path latency). "hold": delivery minus the earliest in-order moment',
    'the arrival allowed (every earlier frame that was sent had been sent) minus the median path',
    "latency, i.e. the relay's own wait. Missing: sent (not truly lost) but never at STT.",
    '',
    '| profile | streams | frames sent | missing | out of order at STT | duplicates at STT | added p50 / p99 / max ms | hold p50 / p99 ms | STT-budget cancels / utterances |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.profile} | ${r.streams} | ${r.expected} | ${r.missing} | ${r.outOfOrder} | ${r.duplicatesAtStt} | ` +
        `${fmt(r.addedP50Ms, 1)} / ${fmt(r.addedP99Ms, 1)} / ${fmt(r.addedMaxMs, 1)} | ${fmt(r.holdP50Ms, 1)} / ${fmt(r.holdP99Ms, 1)} | ${r.cancels} / ${r.utterances} |`,
    ),
    '',
  ];
}

/** Markdown of the soak: totals, then STT-budget cancels and sessions hit per 10 s. */
export function soakMarkdown(s: SoakResult): string[] {
  const worst = Math.max(0, ...s.windows.map((w) => w.sessions));
  return [
    `### Soak: ${s.streams} speech-like streams for ${s.seconds} s (relay, sim engines in their own process)`,
    '',
    `Load average at the end: ${s.loadAvg.map((v) => v.toFixed(2)).join(' ')}.`,
    '',
    '| utterances | STT-budget cancels | % of utterances | other budget events | turns | to STT / received | stt_backpressure / stt_restart drops | AUDIO_DROPPED errors | relay CPU % | CPU µs per frame | STT latency p50 / p99 ms | worst 10 s window (sessions) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${s.utterances} | ${s.sttCancels} | **${fmt(s.cancelPct, 2)}** | ${s.otherCancels} | ${s.turns} | ` +
      `${s.toStt} / ${s.received} (${pct(s.ratio)} %) | ${s.sttBackpressure} / ${s.sttRestart} | ${s.audioDroppedErrors} | ` +
      `${pct(s.cpuShare, 0)} | ${fmt(s.cpuUsPerFrame, 1)} | ${fmt(s.up.p50 / 1000, 1)} / ${fmt(s.up.p99 / 1000, 1)} | ${worst} |`,
    '',
    'Per 10 s window (from the start): STT-budget cancels / sessions hit.',
    '',
    '| window s | ' + s.windows.map((w) => `${w.startS}`).join(' | ') + ' |',
    '|---|' + s.windows.map(() => '---:').join('|') + '|',
    '| cancels | ' + s.windows.map((w) => `${w.cancels}`).join(' | ') + ' |',
    '| sessions | ' + s.windows.map((w) => `${w.sessions}`).join(' | ') + ' |',
    '',
  ];
}
