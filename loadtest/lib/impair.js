// Network impairment on the caller's uplink, applied by the script between "this frame is
// captured" and "send it": deterministic from a seed, pure (no timers, no clock reads).
// Works in k6 and Node. Types: impair.d.ts.
//
// Profiles (the uplink acceptance profiles of the relay):
//   in-order              every frame at once, in order
//   reorder-100ms         each frame delayed uniformly in [0, 100) ms: reordered within 100 ms windows
//   duplicates-2pct       2 % of the frames are sent twice (the copy 0–40 ms later)
//   chunks-100ms          frames held and sent 5 at a time (a carrier's 100 ms chunks;
//                         carrier callers merge them into one 100 ms media message)
//   stall-2s-catchup-5x   one stall per call: from STALL_AT_MS after the first frame nothing
//                         leaves for 2 s, then the backlog goes out at 5x real time
//   loss-1pct             1 % of the frames are never sent
//   jitter-40ms           each frame delayed uniformly in [0, 40) ms, order kept (no reorder)

/** @type {Record<string, { delayMs?: number, keepOrder?: boolean, dupRate?: number, chunkFrames?: number, stallMs?: number, catchUp?: number, lossRate?: number }>} */
export const PROFILES = {
  'in-order': {},
  'reorder-100ms': { delayMs: 100 },
  'duplicates-2pct': { dupRate: 0.02 },
  'chunks-100ms': { chunkFrames: 5 },
  'stall-2s-catchup-5x': { stallMs: 2000, catchUp: 5 },
  'loss-1pct': { lossRate: 0.01 },
  'jitter-40ms': { delayMs: 40, keepOrder: true },
};

/** Where the stall starts, after the first frame (inside the first utterance by default). */
export const STALL_AT_MS = 600;

/**
 * mulberry32: a small seeded PRNG (uniform in [0, 1)).
 * @param {number} seed
 */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The profile names, for error messages and docs. */
export function profileNames() {
  return Object.keys(PROFILES);
}

/**
 * An impairment of one stream. push(item, nowMs) when the item is captured (20 ms frames,
 * in capture order); due(nowMs) returns what to send now, in send order. `chunk` groups
 * items sent together as one carrier chunk (chunks-100ms), else each group has one item.
 * @template T
 * @param {string} name
 * @param {number} seed
 */
export function createImpairment(name, seed) {
  const p = PROFILES[name];
  if (p === undefined) {
    throw new Error(`unknown impairment profile "${name}" (one of: ${profileNames().join(', ')})`);
  }
  const rand = rng(seed);
  /** @type {{ at: number, n: number, items: T[] }[]} */
  let queue = [];
  /** @type {T[]} */
  let chunk = [];
  let n = 0;
  let firstAt = -1;
  let lastAt = 0;
  let stallUntil = -1;
  let catchUpNext = 0;
  const stats = { pushed: 0, sent: 0, lost: 0, duplicated: 0 };

  /** @type {(at: number, items: T[]) => void} */
  const enqueue = (at, items) => {
    queue.push({ at, n: n++, items });
  };

  return {
    name,
    stats,
    /** Items sent together in one carrier message (1, or 5 for chunks-100ms). */
    chunkFrames: p.chunkFrames || 1,
    /**
     * @param {T} item
     * @param {number} now
     */
    push(item, now) {
      stats.pushed++;
      if (firstAt < 0) {
        firstAt = now;
      }
      if (p.lossRate !== undefined && rand() < p.lossRate) {
        stats.lost++;
        return;
      }
      if (p.chunkFrames !== undefined) {
        chunk.push(item);
        if (chunk.length >= p.chunkFrames) {
          enqueue(now, chunk);
          chunk = [];
        }
        return;
      }
      if (p.stallMs !== undefined) {
        if (stallUntil < 0 && now - firstAt >= STALL_AT_MS) {
          stallUntil = now + p.stallMs;
          catchUpNext = stallUntil;
        }
        if (stallUntil >= 0 && (now < stallUntil || queue.length > 0)) {
          // Held, then released one frame per 20 / catchUp ms from the stall's end.
          const at = Math.max(catchUpNext, now);
          catchUpNext = at + 20 / (p.catchUp || 1);
          enqueue(at, [item]);
          return;
        }
      }
      let at = now;
      if (p.delayMs !== undefined) {
        at = now + rand() * p.delayMs;
        if (p.keepOrder) {
          at = Math.max(at, lastAt);
        }
      }
      lastAt = at;
      enqueue(at, [item]);
      if (p.dupRate !== undefined && rand() < p.dupRate) {
        stats.duplicated++;
        enqueue(at + rand() * 40, [item]);
      }
    },
    /**
     * Groups due by now, in send order (time, then push order).
     * @param {number} now
     * @returns {T[][]}
     */
    due(now) {
      /** @type {{ at: number, n: number, items: T[] }[]} */
      const ready = [];
      /** @type {{ at: number, n: number, items: T[] }[]} */
      const rest = [];
      for (const q of queue) {
        (q.at <= now ? ready : rest).push(q);
      }
      queue = rest;
      ready.sort((a, b) => a.at - b.at || a.n - b.n);
      for (const r of ready) {
        stats.sent += r.items.length;
      }
      return ready.map((r) => r.items);
    },
    /** Everything still held (end of the call: a partial chunk), in order. */
    flush() {
      /** @type {T[][]} */
      const out = queue.sort((a, b) => a.at - b.at || a.n - b.n).map((q) => q.items);
      if (chunk.length > 0) {
        out.push(chunk);
        chunk = [];
      }
      queue = [];
      return out;
    },
  };
}
