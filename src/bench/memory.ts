import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchChild } from './child-ipc.js';
import { closeClients, openClients, Streamer, type BenchClient, type Target } from './load-gen.js';
import type { BenchEnv } from './setup.js';
import { linearFit, median } from './stats.js';

export interface MemoryArmResult {
  arm: string;
  points: { sessions: number; rssMb: number; heapMb: number }[];
  /** RSS slope, KB per session (least squares over the points). */
  kbPerSession: number;
  r2: number;
  /** Slope of V8 heap used + external memory, KB per session. */
  heapKbPerSession: number;
}

/** RSS and heap + external after forced GCs (median of three readings). */
export async function settled(child: BenchChild<unknown>): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 3; i++) {
    await child.request('gc');
    await sleep(100);
    const s = await child.stats();
    rss.push(s.rssBytes);
    heap.push(s.heapBytes);
  }
  return { rss: median(rss), heap: median(heap) };
}

async function measureArm(
  arm: string,
  target: Target,
  child: BenchChild<unknown>,
  steps: readonly number[],
  settleMs: number,
): Promise<MemoryArmResult> {
  const win = { measuring: false };
  const clients: BenchClient[] = [];
  const streamer = new Streamer({ round: 0xfffe });
  const running = streamer.run();
  const points: MemoryArmResult['points'] = [];
  try {
    for (const n of steps) {
      if (n > clients.length) {
        const opened = await openClients(target, n - clients.length, win);
        clients.push(...opened.clients);
        streamer.add(opened.clients);
      }
      await sleep(settleMs);
      const m = await settled(child);
      points.push({ sessions: clients.length, rssMb: m.rss / 2 ** 20, heapMb: m.heap / 2 ** 20 });
    }
  } finally {
    streamer.stop();
    await running;
    await closeClients(clients);
  }
  const xs = points.map((p) => p.sessions);
  const fit = linearFit(
    xs,
    points.map((p) => p.rssMb * 1024),
  );
  const heap = linearFit(
    xs,
    points.map((p) => p.heapMb * 1024),
  );
  return { arm, points, kbPerSession: fit.slope, r2: fit.r2, heapKbPerSession: heap.slope };
}

/**
 * Memory per session: in a fresh process (so no earlier round's high-water mark hides
 * the growth), open 0, s, 2s, … idle-but-streaming sessions (50 fps upstream, no
 * replies; the relay with its default adaptive jitter buffer), settle, force a GC and
 * read RSS; the slope of a least-squares line is the cost of one session. A fresh
 * direct pipe (ws + one gRPC stream per connection) is measured the same way.
 */
export async function benchMemory(
  env: BenchEnv,
  steps: readonly number[],
  settleMs: number,
): Promise<MemoryArmResult[]> {
  const relayChild = await env.spawnRelay();
  let relay: MemoryArmResult;
  try {
    relay = await measureArm(
      'relay (jitter adaptive)',
      env.relayTarget('bench-adaptive', relayChild),
      relayChild,
      steps,
      settleMs,
    );
  } finally {
    await relayChild.stop();
  }
  const directChild = await env.spawnDirect();
  try {
    const direct = await measureArm(
      'direct',
      env.directTarget(directChild),
      directChild,
      steps,
      settleMs,
    );
    return [relay, direct];
  } finally {
    await directChild.stop();
  }
}
