import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchChild, ChildStats } from './child-ipc.js';
import {
  closeClients,
  downstreamLateness,
  openClients,
  Streamer,
  type Target,
  type Window,
} from './load-gen.js';
import { procCpuUs, type BenchEnv } from './setup.js';
import { spread, summarize, type Spread, type Summary } from './stats.js';

/** One side of an A/B comparison: where clients connect and which process forwards. */
export interface Arm {
  name: string;
  target: Target;
  child: BenchChild<unknown>;
  /** Sent once per connection to start reply audio (bidirectional streams). */
  replyText?: string;
  /** Runs alongside the round (e.g. REST load on the gateway). */
  background?: { start(): Promise<unknown>; stop(): Promise<unknown> };
}

export interface RoundSpec {
  streams: number;
  warmupMs: number;
  measureMs: number;
}

export interface RoundResult {
  arm: string;
  round: number;
  streams: number;
  openFailures: number;
  openMs: number;
  /** Client send → STT-sink receive, µs (frames inside the window). */
  up: Summary;
  sent: number;
  received: number;
  lost: number;
  concealed: number;
  downFrames: number;
  downGaps: number;
  /** Downstream cadence error p99, ms (frame arrival against its reply offset). */
  downLatenessP99Ms: number;
  /** Frames the forwarding process itself counted as dropped during the round. */
  serverDropped: number;
  /** CPU of the forwarding process during the window, fraction of one core. */
  cpuShare: number;
  simCpuShare: number;
  /** Whole machine busy fraction (all cores) during the window. */
  boxBusy: number;
  sendLagP99Ms: number;
}

let nextRound = 1;

/** Busy and total CPU time of the whole machine (all cores), ms. */
export function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

/** One edge of a measurement window: the process's stats, the sim engine's CPU, the box's. */
export interface WindowEdge {
  stats: ChildStats;
  simUs: number;
  box: { busy: number; total: number };
  atMs: number;
}

export async function windowEdge(child: BenchChild<unknown>, simPid: number): Promise<WindowEdge> {
  const stats = await child.stats();
  const simUs = await procCpuUs(simPid);
  return { stats, simUs, box: cpuTimes(), atMs: performance.now() };
}

/** CPU shares over a window: the process, the sim engine (of one core), the box (all cores). */
export function windowShares(
  a: WindowEdge,
  b: WindowEdge,
): { cpuShare: number; simCpuShare: number; boxBusy: number } {
  const wallUs = (b.atMs - a.atMs) * 1000;
  return {
    cpuShare: (b.stats.cpuUs - a.stats.cpuUs) / wallUs,
    simCpuShare: (b.simUs - a.simUs) / wallUs,
    boxBusy: (b.box.busy - a.box.busy) / Math.max(1, b.box.total - a.box.total),
  };
}

/** Wait (bounded) until the forwarding process reports no open session. */
export async function waitSessionsClosed(
  child: BenchChild<unknown>,
  timeoutMs = 5_000,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (((await child.stats()).extra['sessions'] ?? 0) === 0) {
      return;
    }
    await sleep(50);
  }
}

/**
 * One round of one arm: open `streams` connections, (optionally) start a reply on each,
 * stream stamped frames phase-spread for warm-up + window, then close everything and
 * wait until the forwarding process has no session left. Bounded in time throughout.
 */
export async function runRound(env: BenchEnv, arm: Arm, spec: RoundSpec): Promise<RoundResult> {
  const round = nextRound++ & 0xffff;
  const win: Window = { measuring: false };
  const { clients, failures, openMs } = await openClients(arm.target, spec.streams, win);
  if (arm.replyText !== undefined) {
    const ev = JSON.stringify({ type: 'input.text', text: arm.replyText });
    for (const c of clients) {
      c.ws.send(ev);
    }
  }
  await env.sink.begin(round);
  const warmupFrames = Math.round(spec.warmupMs / 20);
  const streamer = new Streamer({
    round,
    framesPerClient: warmupFrames + Math.round(spec.measureMs / 20),
    warmupFrames,
  });
  streamer.add(clients);
  const before = await arm.child.stats();
  await arm.background?.start();
  const running = streamer.run();
  await sleep(spec.warmupMs);
  const w0 = await windowEdge(arm.child, env.sim.pid);
  win.measuring = true;
  await running;
  win.measuring = false;
  const w1 = await windowEdge(arm.child, env.sim.pid);
  await arm.background?.stop();
  const drainUntil = performance.now() + 2_000;
  for (;;) {
    const n = await env.sink.counts();
    if (n.received + n.concealed >= streamer.sent || performance.now() > drainUntil) {
      break;
    }
    await sleep(50);
  }
  const after = await arm.child.stats();
  const { up, received, concealed } = await env.sink.result();
  const late = downstreamLateness(clients);
  await closeClients(clients);
  await waitSessionsClosed(arm.child);
  return {
    arm: arm.name,
    round,
    streams: clients.length,
    openFailures: failures,
    openMs,
    up,
    sent: streamer.sent,
    received,
    lost: Math.max(0, streamer.sent - received),
    concealed,
    downFrames: clients.reduce((a, c) => a + c.downFrames, 0),
    downGaps: clients.reduce((a, c) => a + c.downGaps, 0),
    downLatenessP99Ms: summarize(late).p99,
    serverDropped: (after.extra['framesDropped'] ?? 0) - (before.extra['framesDropped'] ?? 0),
    ...windowShares(w0, w1),
    sendLagP99Ms: summarize(streamer.sendLagMs).p99,
  };
}

/** Aggregate of one arm's rounds: medians of round values with their min–max. */
export interface ArmSummary {
  arm: string;
  rounds: number;
  p50Us: Spread;
  p99Us: Spread;
  p999Us: Spread;
  lost: number;
  concealed: number;
  downGaps: number;
  serverDropped: number;
  downLatenessP99Ms: Spread;
  cpuShare: Spread;
  boxBusy: Spread;
  sendLagP99Ms: Spread;
  openFailures: number;
}

export function summarizeArm(rs: readonly RoundResult[]): ArmSummary {
  const total = (f: (r: RoundResult) => number): number => rs.reduce((a, r) => a + f(r), 0);
  return {
    arm: rs[0]?.arm ?? '',
    rounds: rs.length,
    p50Us: spread(rs.map((r) => r.up.p50)),
    p99Us: spread(rs.map((r) => r.up.p99)),
    p999Us: spread(rs.map((r) => r.up.p999)),
    lost: total((r) => r.lost),
    concealed: total((r) => r.concealed),
    downGaps: total((r) => r.downGaps),
    serverDropped: total((r) => r.serverDropped),
    downLatenessP99Ms: spread(rs.map((r) => r.downLatenessP99Ms)),
    cpuShare: spread(rs.map((r) => r.cpuShare)),
    boxBusy: spread(rs.map((r) => r.boxBusy)),
    sendLagP99Ms: spread(rs.map((r) => r.sendLagP99Ms)),
    openFailures: total((r) => r.openFailures),
  };
}

/**
 * `rounds` interleaved rounds of every arm (A B C, then C B A, …), so drift in the
 * machine's state hits every arm alike. Returns each arm's rounds in order.
 */
export async function interleave(
  env: BenchEnv,
  arms: readonly Arm[],
  spec: RoundSpec,
  rounds: number,
  log: (line: string) => void = () => undefined,
): Promise<Map<string, RoundResult[]>> {
  const out = new Map<string, RoundResult[]>(arms.map((a) => [a.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? arms : [...arms].reverse();
    for (const arm of order) {
      const res = await runRound(env, arm, spec);
      out.get(arm.name)?.push(res);
      log(
        `  ${spec.streams} streams, round ${r + 1}/${rounds}, ${arm.name}: p50 ${res.up.p50.toFixed(0)} µs, p99 ${res.up.p99.toFixed(0)} µs, lost ${res.lost}, cpu ${(res.cpuShare * 100).toFixed(0)} %`,
      );
    }
  }
  return out;
}

/** Per-round difference and ratio of two arms' statistic (rounds paired by index). */
export function paired(
  a: readonly RoundResult[],
  b: readonly RoundResult[],
  f: (r: RoundResult) => number,
): { diff: Spread; ratio: Spread } {
  const n = Math.min(a.length, b.length);
  const diff: number[] = [];
  const ratio: number[] = [];
  for (let i = 0; i < n; i++) {
    diff.push(f(a[i]!) - f(b[i]!));
    ratio.push(f(a[i]!) / f(b[i]!));
  }
  return { diff: spread(diff), ratio: spread(ratio) };
}
