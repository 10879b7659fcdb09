import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchChild } from './child-ipc.js';
import { BURSTY_ARRIVAL } from './speech-load.js';
import { settled } from './memory.js';
import { fmt } from './stats.js';
import type { UplinkEnv } from './uplink-env.js';
import { uplinkRound } from './uplink.js';

export interface RssLoadPlan {
  streams: number;
  /** Load peaks per arm (each followed by an idle reading). */
  peaks: number;
  warmupMs: number;
  measureMs: number;
  /** Idle time after a peak before the idle reading. */
  idleMs: number;
}

export interface RssLoadArm {
  arm: string;
  env: Record<string, string>;
  streams: number;
  idleBeforeMb: number;
  /** Per peak: the highest RSS sampled during it and the idle RSS after it (MB). */
  peaks: {
    peakMb: number;
    heapPeakMb: number;
    idleMb: number;
    heapIdleMb: number;
    /** V8 heap committed and ArrayBuffers, at the idle reading. */
    heapTotalIdleMb: number;
    arrayBuffersIdleMb: number;
  }[];
  /** (highest peak − idle before) ÷ streams; (last idle − idle before) ÷ streams, KB. */
  peakKbPerStream: number;
  idleKbPerStream: number;
}

const MB = 2 ** 20;
/** Debian's libjemalloc2 (the jemalloc arm runs only where it is installed). */
export const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

/** Highest RSS and heap + external sampled every 250 ms until `done` settles. */
async function peakOf(
  child: BenchChild<unknown>,
  done: Promise<unknown>,
): Promise<{ rss: number; heap: number }> {
  let rss = 0;
  let heap = 0;
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    const s = await child.stats().catch(() => undefined);
    rss = Math.max(rss, s?.rssBytes ?? 0);
    heap = Math.max(heap, s?.heapBytes ?? 0);
    await Promise.race([done.catch(() => undefined), sleep(250)]);
  }
  return { rss, heap };
}

/**
 * `--only rss`: does the relay's RSS follow the load? A fresh relay process per arm: its
 * idle RSS, then `peaks` times the speech-like uplink load at `streams` (RSS sampled during
 * it), the sessions closed, `idleMs` of idle and a forced GC, and the idle RSS again. Arms:
 * the allocator: glibc as is, with two arenas, with 64 KB socket reads mmapped, and
 * jemalloc preloaded (where Debian's libjemalloc2 is installed).
 */
export async function benchRssLoad(
  env: UplinkEnv,
  plan: RssLoadPlan,
  log: (line: string) => void,
): Promise<RssLoadArm[]> {
  const arms: { arm: string; env: Record<string, string> }[] = [
    { arm: 'glibc default', env: {} },
    { arm: 'glibc MALLOC_ARENA_MAX=2', env: { MALLOC_ARENA_MAX: '2' } },
    {
      arm: 'glibc, 64 KB reads mmapped (MALLOC_MMAP_THRESHOLD_=65536)',
      env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' },
    },
  ];
  if (existsSync(JEMALLOC)) {
    arms.push({ arm: 'jemalloc (LD_PRELOAD)', env: { LD_PRELOAD: JEMALLOC } });
  }
  const out: RssLoadArm[] = [];
  for (const a of arms) {
    const relay = await env.spawnRelay(a.env);
    try {
      const before = await settled(relay.child);
      const peaks: RssLoadArm['peaks'] = [];
      for (let p = 0; p < plan.peaks; p++) {
        const running = uplinkRound(
          env,
          { name: a.arm, target: relay.target, child: relay.child },
          {
            streams: plan.streams,
            warmupMs: plan.warmupMs,
            measureMs: plan.measureMs,
            arrival: BURSTY_ARRIVAL,
            seed: 3000 + p,
          },
        );
        const peak = await peakOf(relay.child, running);
        const round = await running;
        await sleep(plan.idleMs);
        const idle = await settled(relay.child);
        const idleStats = await relay.child.stats();
        peaks.push({
          heapTotalIdleMb: idleStats.heapTotalBytes / MB,
          arrayBuffersIdleMb: idleStats.arrayBuffersBytes / MB,
          peakMb: peak.rss / MB,
          heapPeakMb: peak.heap / MB,
          idleMb: idle.rss / MB,
          heapIdleMb: idle.heap / MB,
        });
        log(
          `  rss ${a.arm}, peak ${p + 1}/${plan.peaks} at ${plan.streams} streams: ` +
            `idle ${fmt(before.rss / MB, 1)} → peak ${fmt(peak.rss / MB, 1)} → idle ${fmt(idle.rss / MB, 1)} MB ` +
            `(heap used + external ${fmt(idle.heap / MB, 1)}, heap committed ${fmt(idleStats.heapTotalBytes / MB, 1)}, ` +
            `ArrayBuffers ${fmt(idleStats.arrayBuffersBytes / MB, 1)} MB; to STT ${round.toStt}/${round.received})`,
        );
      }
      const top = Math.max(...peaks.map((x) => x.peakMb));
      const last = peaks[peaks.length - 1]?.idleMb ?? NaN;
      const base = before.rss / MB;
      out.push({
        arm: a.arm,
        env: a.env,
        streams: plan.streams,
        idleBeforeMb: base,
        peaks,
        peakKbPerStream: ((top - base) * 1024) / plan.streams,
        idleKbPerStream: ((last - base) * 1024) / plan.streams,
      });
    } finally {
      await relay.child.stop();
    }
  }
  return out;
}

/** Markdown of `--only rss`. */
export function rssLoadMarkdown(arms: readonly RssLoadArm[]): string[] {
  const md = [
    '### RSS following the load (fresh relay per arm, speech-like uplink peaks, idle after each)',
    '',
    'Idle readings after the sessions closed, some idle time and a forced GC. Per stream:',
    '(highest peak − first idle) and (last idle − first idle), ÷ streams.',
    '',
    '| arm | streams | idle MB | peaks: peak → idle MB (at idle: heap used + external; heap committed; ArrayBuffers MB) | peak KB per stream | kept after the peaks, KB per stream |',
    '|---|---:|---:|---|---:|---:|',
  ];
  for (const a of arms) {
    const peaks = a.peaks
      .map(
        (p) =>
          `${fmt(p.peakMb, 1)} → ${fmt(p.idleMb, 1)} (${fmt(p.heapIdleMb, 1)}; ${fmt(p.heapTotalIdleMb, 1)}; ${fmt(p.arrayBuffersIdleMb, 1)})`,
      )
      .join('; ');
    md.push(
      `| ${a.arm} | ${a.streams} | ${fmt(a.idleBeforeMb, 1)} | ${peaks} | ${fmt(a.peakKbPerStream, 0)} | ${fmt(a.idleKbPerStream, 0)} |`,
    );
  }
  md.push('');
  return md;
}
