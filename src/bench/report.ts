import { workersMarkdown, type WorkersResult } from './uplink-workers.js';
import { rssLoadMarkdown, type RssLoadArm } from './rss-load.js';
import type { FirstAudioArmResult } from './first-audio.js';
import type { TurnDetectionResult } from './turn-detection/index.js';
import {
  DIRECT,
  RELAY_ADAPTIVE,
  RELAY_OFF,
  type CapacityResult,
  type LevelResult,
} from './frame-latency.js';
import type { GatewayIsolationResult } from './gateway-isolation.js';
import type { JitterTargetRow } from './jitter-target.js';
import type { MemoryArmResult } from './memory.js';
import type { PipelineCostResult } from './pipeline-cost.js';
import type { ProvidersResult } from './providers.js';
import type { ArmSummary } from './rounds.js';
import { fmt, fmtSpread } from './stats.js';
import type { UplinkResult } from './uplink.js';
import type { SoakResult } from './uplink-soak.js';
import type { ImpairedRow } from './uplink-impaired.js';
import { impairedMarkdown, soakMarkdown, uplinkMarkdown } from './uplink-report.js';

export interface BenchResults {
  machine: string;
  date: string;
  smoke: boolean;
  loadAvgAtStart: number[];
  rounds: number;
  durationS?: number;
  frameLatency?: LevelResult[];
  capacity?: CapacityResult;
  firstAudio?: FirstAudioArmResult[];
  providers?: ProvidersResult;
  memory?: MemoryArmResult[];
  gateway?: GatewayIsolationResult;
  pipelineCost?: PipelineCostResult;
  jitterTarget?: JitterTargetRow[];
  jitterReplay?: string;
  turnDetection?: TurnDetectionResult;
  uplink?: UplinkResult;
  uplinkRounds?: number;
  impaired?: ImpairedRow[];
  soak?: SoakResult;
  workers?: WorkersResult;
  rssLoad?: RssLoadArm[];
}

const pct = (v: number): string => fmt(v * 100, 0);

function armRows(streams: number | string, arms: readonly ArmSummary[]): string[] {
  return arms.map(
    (a) =>
      `| ${streams} | ${a.arm} | ${fmtSpread(a.p50Us, 0)} | ${fmtSpread(a.p99Us, 0)} | ${fmt(a.p999Us.median, 0)} | ` +
      `${a.lost} / ${a.concealed} / ${a.downGaps + a.serverDropped} | ${fmt(a.downLatenessP99Ms.median, 1)} | ` +
      `${pct(a.cpuShare.median)} | ${pct(a.boxBusy.median)} | ${fmt(a.sendLagP99Ms.median, 1)} |`,
  );
}

const ARM_HEADER = [
  '| streams | arm | p50 µs | p99 µs | p99.9 µs | lost / concealed / dropped down | down cadence p99 ms | CPU % of a core | box busy % | sender lag p99 ms |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];

/** One plain line per target, first in the report: "met", "not met", … and why. */
function verdicts(rows: readonly string[]): string[] {
  if (rows.length === 0) {
    return [];
  }
  const lines = rows.map((row) => {
    const [target = '', measured = '', verdict = ''] = row
      .slice(1, -1)
      .split(' | ')
      .map((c) => c.trim());
    return `- **${verdict.toUpperCase()}**: ${target} (measured: ${measured})`;
  });
  return ['### Verdict', '', ...lines, ''];
}

export function markdown(r: BenchResults): string {
  const rows = targetRows(r);
  const md: string[] = [
    ...verdicts(rows),
    `Machine: ${r.machine}; load average at start ${r.loadAvgAtStart.map((v) => v.toFixed(2)).join(' ')}` +
      `${r.smoke ? ' (smoke run)' : ''}; ${r.date}${r.durationS === undefined ? '' : `; ${r.durationS.toFixed(0)} s`}.`,
    'Load generator, STT sink, relay, direct pipe and sim engines share the machine (separate processes).',
    'Cells "m (a–b)": median of the round values (min–max over rounds).',
    '',
  ];
  if (r.uplink !== undefined) {
    md.push(...uplinkMarkdown(r.uplink, r.uplinkRounds ?? r.rounds));
  }
  if (r.impaired !== undefined) {
    md.push(...impairedMarkdown(r.impaired));
  }
  if (r.soak !== undefined) {
    md.push(...soakMarkdown(r.soak));
  }
  if (r.workers !== undefined) {
    md.push(...workersMarkdown(r.workers));
  }
  if (r.rssLoad !== undefined) {
    md.push(...rssLoadMarkdown(r.rssLoad));
  }
  if (r.frameLatency !== undefined) {
    md.push(
      `### Relay-added frame latency (${r.rounds} interleaved rounds per level)`,
      '',
      'One-way latency, client send → STT stage receive (hrtime stamp in the payload, one clock), 50 fps',
      'bidirectional streams (reply audio flows back), phase-spread over the 20 ms period. "direct" is the',
      'same ws + gRPC hops without the relay logic (its own process, like the relay).',
      '',
      ...ARM_HEADER,
    );
    for (const l of r.frameLatency) {
      md.push(...armRows(l.streams, l.arms));
    }
    const sat = r.frameLatency.filter((l) => l.saturated !== undefined);
    if (sat.length > 0) {
      md.push(
        '',
        `Saturated (the machine, not the relay, is the limit; added latency there is not the relay's): ` +
          sat.map((l) => `${l.streams} streams (${l.saturated})`).join('; ') +
          '.',
      );
    }
    md.push(
      '',
      '| streams | arm | added p50 µs | added p99 µs | added p99.9 µs | p50 ratio | p99 ratio |',
      '|---:|---|---:|---:|---:|---:|---:|',
    );
    for (const l of r.frameLatency) {
      for (const a of l.added) {
        md.push(
          `| ${l.streams} | ${a.arm} | ${fmtSpread(a.p50Us, 0)} | ${fmtSpread(a.p99Us, 0)} | ${fmt(a.p999Us.median, 0)} | ` +
            `${fmtSpread(a.p50Ratio)} | ${fmtSpread(a.p99Ratio)} |`,
        );
      }
    }
    md.push('');
  }
  if (r.capacity !== undefined) {
    const c = r.capacity;
    md.push(
      '### Capacity (relay, jitter off; added p99 ≤ 1 ms, nothing dropped, machine not saturated)',
      '',
      '| streams | direct p99 µs | relay p99 µs | added p99 µs | dropped | relay CPU % of a core | box busy % | pass |',
      '|---:|---:|---:|---:|---:|---:|---:|---|',
      ...c.steps.map(
        (s) =>
          `| ${s.streams} | ${fmt(s.directP99Us, 0)} | ${fmt(s.relayP99Us, 0)} | ${fmt(s.addedP99Us, 0)} | ${s.dropped} | ` +
          `${pct(s.relayCpuShare)} | ${pct(s.boxBusy)} | ${s.pass ? 'yes' : s.saturated === undefined ? 'no' : `no (saturated: ${s.saturated})`} |`,
      ),
      '',
      `Most streams passing: **${c.maxStreams}** at ${pct(c.cpuShareAtMax)} % of a core ` +
        `→ ${fmt(c.streamsPerCoreAt70, 0)} streams per core at 70 % CPU${c.timedOut ? ' (ramp stopped by its time budget)' : ''}. ` +
        `By CPU alone (largest level with nothing dropped): ${fmt(c.cpuBoundStreamsPerCoreAt70, 0)} streams per core at 70 %.`,
      '',
    );
  }
  if (r.firstAudio !== undefined) {
    const sum = r.firstAudio[0]?.stageSumMs ?? NaN;
    md.push(
      `### First-audio overhead (sim stages: endpoint silence 300 ms, then ${fmt(sum, 0)} ms of stage latency)`,
      '',
      'Client: endpoint-deciding frame sent → first reply frame received, minus the stage latencies after it.',
      'Relay-side: its own turn.metrics voice-to-voice minus silence + stage latencies. LLM / TTS excess:',
      'turn.metrics first-token and first-audio times minus the configured ones (p50), i.e. gRPC hops and timers.',
      '',
      '"vs direct": the arm\'s overhead minus the direct pipe\'s (same stages and hops, no relay logic), per round.',
      'Over measured stages: turn.metrics voice-to-voice − max(endpoint, STT final) − LLM first token − TTS first',
      "audio (the stages' own first-response times as the relay measured them): the relay's waits between stages.",
      '',
      '| arm | turns | failed | overhead p50 ms | overhead p99 ms | round p99s ms | vs direct p50 / p99 ms | relay-side p50 / p99 ms | LLM / TTS excess p50 ms | over measured stages p50 / p99 ms | speech end → first audio p50 ms |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...r.firstAudio.map(
        (a) =>
          `| ${a.arm} | ${a.turns} | ${a.failedTurns} | ${fmt(a.overheadMs.p50)} | ${fmt(a.overheadMs.p99)} | ` +
          `${fmtSpread(a.overheadP99Ms)} | ${fmt(a.vsDirectP50Ms.median)} / ${fmt(a.vsDirectP99Ms.median)} | ` +
          `${fmt(a.relayOverheadMs.p50)} / ${fmt(a.relayOverheadMs.p99)} | ` +
          `${fmt(a.llmExcessMs.p50)} / ${fmt(a.ttsExcessMs.p50)} | ${fmt(a.stageGapMs.p50)} / ${fmt(a.stageGapMs.p99)} | ${fmt(a.firstAudioMs.p50, 1)} |`,
      ),
      '',
    );
  }
  if (r.providers !== undefined) {
    const p = r.providers;
    const pr = p.profiles;
    md.push(
      `### Provider bridges against their fakes (${p.sessions} sessions, ${p.turns} turns, ${p.failedTurns} failed)`,
      '',
      `Deepgram STT + OpenAI-compatible LLM + ElevenLabs TTS, bridges embedded, fakes with representative latency profiles chosen by us ` +
        `(not recorded): Deepgram results +${pr.deepgram.resultDelayMs} ms, LLM first token ${pr.llm.ttftMs} ms then ${pr.llm.tokenMs} ms/token, ` +
        `ElevenLabs first chunk ${pr.elevenlabs.firstChunkMs} ms then every ${pr.elevenlabs.chunkIntervalMs} ms; sum of first responses ${fmt(p.fakeSumMs, 0)} ms.`,
      'Overhead: endpoint-deciding frame sent → first reply frame received, minus that sum (relay + bridges + hops).',
      `Stage times as the relay saw them (turn.metrics p50): ${Object.entries(p.stageP50Ms)
        .map(([k, v]) => `${k} ${fmt(v, 0)} ms`)
        .join(', ')}.`,
      '',
      '| overhead p50 ms | overhead p99 ms | speech end → first audio p50 / p99 ms | relay voice-to-voice p50 / p99 ms |',
      '|---:|---:|---:|---:|',
      `| ${fmt(p.overheadMs.p50)} | ${fmt(p.overheadMs.p99)} | ${fmt(p.firstAudioMs.p50, 1)} / ${fmt(p.firstAudioMs.p99, 1)} | ` +
        `${fmt(p.voiceToVoiceMs.p50, 1)} / ${fmt(p.voiceToVoiceMs.p99, 1)} |`,
      '',
    );
  }
  if (r.memory !== undefined) {
    md.push(
      '### Memory per session (idle-but-streaming, RSS after GC, least-squares slope)',
      '',
      '| process (fresh) | sessions → RSS MB | RSS KB per session | r² | heap + external KB per session |',
      '|---|---|---:|---:|---:|',
      ...r.memory.map(
        (m) =>
          `| ${m.arm} | ${m.points.map((p) => `${p.sessions}: ${p.rssMb.toFixed(1)}`).join(', ')} | ${fmt(m.kbPerSession, 1)} | ${fmt(m.r2, 3)} | ${fmt(m.heapKbPerSession, 1)} |`,
      ),
      '',
    );
  }
  if (r.gateway !== undefined) {
    const g = r.gateway;
    md.push(
      `### Gateway isolation (${g.concurrency} keep-alive GET /v1/sessions loops on the relay's gateway, ${g.streams} streams)`,
      '',
      ...ARM_HEADER,
      ...armRows(g.streams, g.arms),
      '',
      `Frame p99 with / without REST load: relay ${fmtSpread(g.relayP99Ratio)}, relay --workers 1 (gateway in the primary) ${fmtSpread(g.clusterP99Ratio)}, direct pipe ${fmtSpread(g.directP99Ratio)}. ` +
        `Gateway: ${fmtSpread(g.rest.rps, 0)} req/s, p50 ${fmtSpread(g.rest.p50Ms)} ms, p99 ${fmtSpread(g.rest.p99Ms)} ms, ${g.rest.errors} errors.`,
      '',
    );
  }
  if (r.pipelineCost !== undefined) {
    const c = r.pipelineCost;
    md.push(
      '### Session pipeline cost per input frame',
      '',
      '| sessions | seconds | frames | relay CPU µs per 20 ms frame | feeder baseline µs |',
      '|---:|---:|---:|---:|---:|',
      `| ${c.sessions} | ${c.seconds} | ${c.frames} | ${c.cpuUsPerFrame.toFixed(1)} | ${c.baselineUsPerFrame.toFixed(2)} |`,
      '',
    );
  }
  if (r.jitterReplay !== undefined) {
    md.push('### Jitter buffer trace replay', '', r.jitterReplay, '');
  }
  if (rows.length > 0) {
    md.push('### Targets (issue 8)', '', '| target | measured | |', '|---|---|---|', ...rows, '');
  }
  if (r.turnDetection !== undefined) {
    md.push(r.turnDetection.table, '');
  }
  return md.join('\n');
}

/** Where the relay stands against the issue's targets: `| target | measured | verdict |` rows. */
function targetRows(r: BenchResults): string[] {
  const rows: string[] = [];
  const at500 = r.frameLatency?.find((l) => l.streams === 500) ?? r.frameLatency?.at(-1);
  const added = at500?.added.find((a) => a.arm === RELAY_OFF);
  if (at500 !== undefined && added !== undefined) {
    const ok = [...(r.frameLatency ?? [])].reverse().find((l) => l.saturated === undefined);
    const okAdded = ok?.added.find((a) => a.arm === RELAY_OFF);
    const below =
      ok === undefined || okAdded === undefined
        ? ''
        : `; at ${ok.streams} streams added p50 ${fmt(okAdded.p50Us.median / 1000, 3)} ms, p99 ${fmt(okAdded.p99Us.median / 1000)} ms (round range ${fmt(okAdded.p99Us.min / 1000)} to ${fmt(okAdded.p99Us.max / 1000)})`;
    rows.push(
      at500.saturated === undefined
        ? `| relay-added frame latency p99 ≤ 1 ms at 500 streams | ${fmt(added.p99Us.median / 1000)} ms at ${at500.streams} streams (p50 ${fmt(added.p50Us.median / 1000, 3)} ms)${below} | ${added.p99Us.median <= 1000 ? 'met' : 'not met'} |`
        : `| relay-added frame latency p99 ≤ 1 ms at 500 streams | machine saturated at ${at500.streams} streams (${at500.saturated})${below} | not measurable here |`,
    );
  }
  if (r.capacity !== undefined) {
    const v = r.capacity.streamsPerCoreAt70;
    rows.push(
      `| ≥ 600 bidirectional streams per core at ≤ 70 % CPU | ${fmt(v, 0)} (max ${r.capacity.maxStreams} streams passing at ${pct(r.capacity.cpuShareAtMax)} % of a core); by CPU alone ${fmt(r.capacity.cpuBoundStreamsPerCoreAt70, 0)} | ${v >= 600 ? 'met' : 'not met'} |`,
    );
  }
  const fa = r.firstAudio?.find((a) => a.arm === RELAY_OFF);
  if (fa !== undefined) {
    const direct = r.firstAudio?.find((a) => a.arm === DIRECT);
    const adaptive = r.firstAudio?.find((a) => a.arm === RELAY_ADAPTIVE);
    rows.push(
      `| first-audio overhead ≤ 3 ms p99 | ${fmt(fa.overheadMs.p99)} ms over the configured stage sum (jitter off; adaptive ${fmt(adaptive?.overheadMs.p99 ?? NaN)} ms; ` +
        `direct pipe ${fmt(direct?.overheadMs.p99 ?? NaN)} ms); relay − direct p99 ${fmt(fa.vsDirectP99Ms.median)} ms | ` +
        `${fa.overheadMs.p99 <= 3 ? 'met' : fa.vsDirectP99Ms.median <= 3 ? 'not met over the stage sum; met against the direct pipe' : 'not met'} |`,
    );
  }
  if (fa !== undefined && fa.stageGapMs.n > 0) {
    rows.push(
      `| first-audio overhead over the stages' measured first-response times ≤ 10 ms p99 (issue 16) | p50 ${fmt(fa.stageGapMs.p50)} / p99 ${fmt(fa.stageGapMs.p99)} ms (jitter off, ${fa.turns} turns) | ${fa.stageGapMs.p99 <= 10 ? 'met' : 'not met'} |`,
    );
  }
  const mem = r.memory?.[0];
  if (mem !== undefined) {
    const direct = r.memory?.find((m) => m.arm === DIRECT);
    rows.push(
      `| ≤ 64 KB per WebSocket session | ${fmt(mem.kbPerSession, 1)} KB RSS (r² ${fmt(mem.r2)}; direct pipe ${fmt(direct?.kbPerSession ?? NaN, 1)} KB) | ${mem.kbPerSession <= 64 ? 'met' : 'not met'} |`,
    );
  }
  if (r.gateway !== undefined) {
    const g = r.gateway;
    rows.push(
      `| (method goal 11) REST load changes relay frame p99 by ≤ 10 % (role all, gateway in the cluster primary) | ×${fmt(g.clusterP99Ratio.median)} (one process ×${fmt(g.relayP99Ratio.median)}; direct pipe under the same load ×${fmt(g.directP99Ratio.median)}) | ${g.clusterP99Ratio.median <= 1.1 ? 'met' : 'not met'} |`,
    );
  }
  if (r.jitterTarget !== undefined) {
    const worst = r.jitterTarget.reduce((m, j) => Math.max(m, j.marginMs), -Infinity);
    rows.push(
      `| jitter delay ≤ oracle fixed buffer + 10 ms at equal late-loss | ${r.jitterTarget.map((j) => `${j.trace}: ${j.marginMs >= 0 ? '+' : ''}${fmt(j.marginMs, 1)} ms`).join('; ')} | ${worst <= 10 ? 'met' : 'not met'} |`,
    );
  }
  return r.smoke
    ? rows.map((row) => row.replace(/\| [^|]* \|$/, '| smoke run: not judged |'))
    : rows;
}
