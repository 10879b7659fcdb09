import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImpairmentProfile } from '../testing/impairment.js';
import type { BenchChild } from './child-ipc.js';
import { closeClients, openClients, type Target, type Window } from './load-gen.js';
import { waitSessionsClosed, windowEdge, windowShares } from './rounds.js';
import { BURSTY_ARRIVAL, logEvents, SpeechStreamer, type SpeechClientLog } from './speech-load.js';
import type { TraceRow } from './speech-sink-child.js';
import { spread, summarize, type Spread, type Summary } from './stats.js';
import type { UplinkEnv } from './uplink-env.js';

export interface UplinkArm {
  /** relay, forwarder, or relay-wN (the relay with N workers). */
  name: string;
  target: Target;
  child: BenchChild<unknown>;
}

export interface UplinkRoundSpec {
  streams: number;
  warmupMs: number;
  measureMs: number;
  arrival: ImpairmentProfile;
  seed: number;
  /** Keep every frame's send and receive time (impaired profiles). */
  trace?: boolean;
}

export interface UplinkRound {
  arm: string;
  streams: number;
  openFailures: number;
  utterances: number;
  sent: number;
  /** Frames the forwarding process received from its clients (whole round). */
  received: number;
  /** Frames the STT stage received (whole round, counted at the engine). */
  toStt: number;
  /** toStt ÷ received. */
  ratio: number;
  /** Frames the process counted as dropped (relay: every reason). */
  dropped: number;
  sttBackpressure: number;
  sttRestart: number;
  /** Relay: STT stream failures, re-opens and frames replayed on re-open. */
  sttErrors: number;
  sttReconnects: number;
  sttReplayed: number;
  /** Relay: socket → STT write inside the relay (mean ms; frames over 25 ms). */
  insideMeanMs: number;
  insideOver25ms: number;
  /** Process CPU per frame received in the window, µs. */
  cpuUsPerFrame: number;
  /** Messages the process sent its clients (whole round): JSON events, reply audio frames. */
  eventsOut: number;
  audioOut: number;
  cpuShare: number;
  simCpuShare: number;
  boxBusy: number;
  /** Client send → STT receive, µs (measured frames). */
  up: Summary;
  outOfOrder: number;
  budgetCancels: number;
  turns: number;
  audioDroppedErrors: number;
  sendLagP99Ms: number;
  logs: SpeechClientLog[];
  startedAtMs: number;
  trace?: TraceRow[];
  oracle?: ReturnType<SpeechStreamer['oracle']>;
  frames: number;
}

let nextRound = 0x4000;

const stat = (s: { extra: Record<string, number> }, k: string): number => s.extra[k] ?? 0;

/** One round of one arm: speech-like streams on an impaired schedule, counted end to end. */
export async function uplinkRound(
  env: UplinkEnv,
  arm: UplinkArm,
  spec: UplinkRoundSpec,
): Promise<UplinkRound> {
  const round = nextRound++ & 0xffff;
  const win: Window = { measuring: false };
  const logs: SpeechClientLog[] = [];
  const opened = await openClients(arm.target, spec.streams, win, 32, logEvents(logs));
  await env.sink.begin(round, spec.trace === true);
  const frames = Math.round((spec.warmupMs + spec.measureMs) / 20);
  const streamer = new SpeechStreamer(
    {
      round,
      frames,
      warmupFrames: Math.round(spec.warmupMs / 20),
      arrival: spec.arrival,
      seed: spec.seed,
    },
    opened.clients,
  );
  const before = await arm.child.stats();
  const startedAtMs = performance.now();
  const running = streamer.run();
  await Promise.race([running, sleep(spec.warmupMs)]);
  const w0 = await windowEdge(arm.child, env.sink.pid);
  win.measuring = true;
  await running;
  win.measuring = false;
  const w1 = await windowEdge(arm.child, env.sink.pid);
  const s0 = w0.stats;
  const s1 = w1.stats;
  // Drain: until the STT has every frame the process passed on, or nothing moves for 1 s.
  const expected = stat(s1, 'framesIn') - stat(before, 'framesIn');
  let last = -1;
  let lastChange = performance.now();
  for (const until = performance.now() + 10_000; performance.now() < until;) {
    const n = (await env.sink.counts()).received;
    if (n >= expected) {
      break;
    }
    if (n !== last) {
      last = n;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > 1_000) {
      break;
    }
    await sleep(50);
  }
  const after = await arm.child.stats();
  const counts = await env.sink.counts();
  const up = await env.sink.latency();
  const trace = spec.trace === true ? await env.sink.trace() : undefined;
  await closeClients(opened.clients);
  await waitSessionsClosed(arm.child);
  const audioOut = opened.clients.reduce((a, c) => a + c.downFrames, 0);
  const received = stat(after, 'framesIn') - stat(before, 'framesIn');
  const windowFrames = stat(s1, 'framesIn') - stat(s0, 'framesIn');
  const total = (f: (l: SpeechClientLog) => number): number =>
    logs.reduce((a, l) => a + (l === undefined ? 0 : f(l)), 0);
  const result: UplinkRound = {
    arm: arm.name,
    streams: opened.clients.length,
    openFailures: opened.failures,
    utterances: streamer.utterances,
    sent: streamer.sent,
    received,
    toStt: counts.received,
    ratio: received === 0 ? NaN : counts.received / received,
    dropped: stat(after, 'framesDropped') - stat(before, 'framesDropped'),
    sttBackpressure: stat(after, 'sttBackpressure') - stat(before, 'sttBackpressure'),
    sttRestart: stat(after, 'sttRestart') - stat(before, 'sttRestart'),
    sttErrors: stat(after, 'sttErrors') - stat(before, 'sttErrors'),
    sttReconnects: stat(after, 'sttReconnects') - stat(before, 'sttReconnects'),
    sttReplayed: stat(after, 'sttReplayed') - stat(before, 'sttReplayed'),
    insideMeanMs:
      (1000 * (stat(after, 'frameRelaySumS') - stat(before, 'frameRelaySumS'))) /
      Math.max(1, stat(after, 'frameRelayCount') - stat(before, 'frameRelayCount')),
    insideOver25ms: stat(after, 'frameRelayOver25ms') - stat(before, 'frameRelayOver25ms'),
    cpuUsPerFrame: windowFrames === 0 ? NaN : (s1.cpuUs - s0.cpuUs) / windowFrames,
    eventsOut: total((l) => l.events),
    audioOut,
    ...windowShares(w0, w1),
    up,
    outOfOrder: counts.outOfOrder,
    budgetCancels: total((l) => l.budgetCancels.filter((b) => b.stage === 'stt').length),
    turns: total((l) => l.turns),
    audioDroppedErrors: total((l) => l.errors.get('RELAY_ERR_AUDIO_DROPPED') ?? 0),
    sendLagP99Ms: summarize(streamer.sendLagMs).p99,
    logs,
    startedAtMs,
    frames,
  };
  if (trace !== undefined) {
    result.trace = trace;
    result.oracle = streamer.oracle();
  }
  return result;
}

export interface UplinkArmSummary {
  arm: string;
  rounds: number;
  received: number;
  toStt: number;
  /** Pooled toStt ÷ received over the rounds, and the round values. */
  ratio: number;
  roundRatios: Spread;
  sttBackpressure: number;
  sttRestart: number;
  sttReconnects: number;
  sttReplayed: number;
  dropped: number;
  cpuUsPerFrame: Spread;
  /** Messages sent to the clients per frame received (events, reply audio; all rounds pooled). */
  eventsPerFrame: number;
  audioOutPerFrame: number;
  /** CPU per message moved: CPU per frame ÷ (1 + messages out per frame received). */
  cpuUsPerMessage: Spread;
  cpuShare: Spread;
  simCpuShare: Spread;
  boxBusy: Spread;
  p50Us: Spread;
  p99Us: Spread;
  utterances: number;
  budgetCancels: number;
  turns: number;
  audioDroppedErrors: number;
  outOfOrder: number;
  sendLagP99Ms: Spread;
  openFailures: number;
}

/** CPU per message moved: the round's CPU per frame spread over frames in and messages out. */
function perMessage(r: UplinkRound): number {
  const out = r.received === 0 ? 0 : (r.eventsOut + r.audioOut) / r.received;
  return r.cpuUsPerFrame / (1 + out);
}

function summarizeUplink(rs: readonly UplinkRound[]): UplinkArmSummary {
  const sum = (f: (r: UplinkRound) => number): number => rs.reduce((a, r) => a + f(r), 0);
  const received = sum((r) => r.received);
  const toStt = sum((r) => r.toStt);
  return {
    arm: rs[0]?.arm ?? '',
    rounds: rs.length,
    received,
    toStt,
    ratio: received === 0 ? NaN : toStt / received,
    roundRatios: spread(rs.map((r) => r.ratio)),
    sttBackpressure: sum((r) => r.sttBackpressure),
    sttRestart: sum((r) => r.sttRestart),
    sttReconnects: sum((r) => r.sttReconnects),
    sttReplayed: sum((r) => r.sttReplayed),
    dropped: sum((r) => r.dropped),
    cpuUsPerFrame: spread(rs.map((r) => r.cpuUsPerFrame)),
    eventsPerFrame: received === 0 ? NaN : sum((r) => r.eventsOut) / received,
    audioOutPerFrame: received === 0 ? NaN : sum((r) => r.audioOut) / received,
    cpuUsPerMessage: spread(rs.map(perMessage)),
    cpuShare: spread(rs.map((r) => r.cpuShare)),
    simCpuShare: spread(rs.map((r) => r.simCpuShare)),
    boxBusy: spread(rs.map((r) => r.boxBusy)),
    p50Us: spread(rs.map((r) => r.up.p50)),
    p99Us: spread(rs.map((r) => r.up.p99)),
    utterances: sum((r) => r.utterances),
    budgetCancels: sum((r) => r.budgetCancels),
    turns: sum((r) => r.turns),
    audioDroppedErrors: sum((r) => r.audioDroppedErrors),
    outOfOrder: sum((r) => r.outOfOrder),
    sendLagP99Ms: spread(rs.map((r) => r.sendLagP99Ms)),
    openFailures: sum((r) => r.openFailures),
  };
}

export interface UplinkLevel {
  streams: number;
  relay: UplinkArmSummary;
  forwarder: UplinkArmSummary;
  /** Relay ÷ forwarder CPU per frame received, per round pair. */
  cpuRatio: Spread;
  /** Relay ÷ forwarder CPU per message moved (frames in + messages out), per round pair. */
  cpuRatioPerMessage: Spread;
}

export interface UplinkPlan {
  sizes: readonly number[];
  rounds: number;
  warmupMs: number;
  measureMs: number;
}

export interface UplinkResult {
  arrival: string;
  measureS: number;
  levels: UplinkLevel[];
}

/** The uplink benchmark: relay against the bare forwarder per size, then the impaired profiles. */
export async function benchUplink(
  env: UplinkEnv,
  plan: UplinkPlan,
  log: (line: string) => void,
): Promise<UplinkResult> {
  const arms: UplinkArm[] = [
    { name: 'relay', target: env.relayTarget, child: env.relay },
    { name: 'forwarder', target: env.forwarderTarget, child: env.forwarder },
  ];
  const levels: UplinkLevel[] = [];
  for (const streams of plan.sizes) {
    const out = new Map<string, UplinkRound[]>([
      ['relay', []],
      ['forwarder', []],
    ]);
    for (let r = 0; r < plan.rounds; r++) {
      const order = r % 2 === 0 ? arms : [...arms].reverse();
      for (const arm of order) {
        const res = await uplinkRound(env, arm, {
          streams,
          warmupMs: plan.warmupMs,
          measureMs: plan.measureMs,
          arrival: BURSTY_ARRIVAL,
          seed: 1000 + r,
        });
        out.get(arm.name)?.push(res);
        log(
          `  uplink ${streams} streams, round ${r + 1}/${plan.rounds}, ${arm.name}: ` +
            `to STT ${res.toStt}/${res.received} (${(res.ratio * 100).toFixed(2)} %), ` +
            `${res.cpuUsPerFrame.toFixed(1)} µs CPU/frame, out ${res.eventsOut} events + ${res.audioOut} frames, cpu ${(res.cpuShare * 100).toFixed(0)} %, ` +
            `stt cancels ${res.budgetCancels}/${res.utterances}, p99 ${(res.up.p99 / 1000).toFixed(1)} ms, ` +
            `stt errors ${res.sttErrors}, reopens ${res.sttReconnects}, replayed ${res.sttReplayed}` +
            (arm.name === 'relay'
              ? `, socket→STT write mean ${res.insideMeanMs.toFixed(2)} ms, >25 ms ${res.insideOver25ms}`
              : ''),
        );
      }
    }
    const rel = out.get('relay') ?? [];
    const fwd = out.get('forwarder') ?? [];
    levels.push({
      streams,
      relay: summarizeUplink(rel),
      forwarder: summarizeUplink(fwd),
      cpuRatio: spread(rel.map((r, i) => r.cpuUsPerFrame / (fwd[i]?.cpuUsPerFrame ?? NaN))),
      cpuRatioPerMessage: spread(
        rel.map((r, i) => {
          const f = fwd[i];
          return f === undefined ? NaN : perMessage(r) / perMessage(f);
        }),
      ),
    });
  }
  return {
    arrival: describeArrival(BURSTY_ARRIVAL),
    measureS: plan.measureMs / 1000,
    levels,
  };
}

export function describeArrival(p: ImpairmentProfile): string {
  const b = p.burst;
  return `every ${b?.everyMs ?? 0} ms, ${b?.lengthMs ?? 0} ms of frames held and sent at once, in order`;
}
