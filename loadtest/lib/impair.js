// Network impairment on the caller's uplink, applied by the script between "this frame is
// captured" and "send it": deterministic from a seed, pure (no timers, no clock reads).
// Works in k6 and Node. Types: impair.d.ts.
//
// Profiles: the uplink acceptance profiles of the relay's impairment harness, under the same
// names (src/testing/impairment.ts), as a live stream (a frame never leaves before it was
// captured), plus jitter40:
//   inOrder      every frame at once, in order
//   reorder100   frames shuffled within consecutive 100 ms windows (a frame leaves at its
//                shuffled slot's time, or when captured if that is later)
//   duplicates2  2 % of the frames sent twice (the copy up to 20 ms later)
//   chunks100    frames held and sent 5 at a time (a carrier's 100 ms chunks; carrier
//                callers merge them into one 100 ms media message)
//   stall2s      1 s after the first frame nothing leaves for 2 s; the backlog then goes out
//                at 5x real time until it has caught up
//   loss1        1 % of the frames never sent
//   jitter40     each frame delayed uniformly in [0, 40) ms, order kept

/** @type {Record<string, { reorderWindowMs?: number, jitterMs?: number, keepOrder?: boolean, dupRate?: number, chunkFrames?: number, stall?: { atMs: number, durationMs: number, speed: number }, lossRate?: number }>} */
export const PROFILES = {
  inOrder: {},
  reorder100: { reorderWindowMs: 100 },
  duplicates2: { dupRate: 0.02 },
  chunks100: { chunkFrames: 5 },
  stall2s: { stall: { atMs: 1000, durationMs: 2000, speed: 5 } },
  loss1: { lossRate: 0.01 },
  jitter40: { jitterMs: 40, keepOrder: true },
};

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
 * items sent together as one carrier chunk (chunks100), else each group has one item.
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
  let captured = 0;
  let win = -1;
  /** @type {number[]} */
  let perm = [];
  /** A random permutation of 0..n-1 (Fisher-Yates). @param {number} n */
  const shuffled = (n) => {
    /** @type {number[]} */
    const out = [];
    for (let k = 0; k < n; k++) {
      out.push(k);
    }
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      [out[k], out[j]] = [out[j], out[k]];
    }
    return out;
  };
  const stats = { pushed: 0, sent: 0, lost: 0, duplicated: 0 };

  /** @type {(at: number, items: T[]) => void} */
  const enqueue = (at, items) => {
    queue.push({ at, n: n++, items });
  };

  return {
    name,
    stats,
    /** Items sent together in one carrier message (1, or 5 for chunks100). */
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
      const i = captured++;
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
      let at = now;
      if (p.reorderWindowMs !== undefined) {
        const per = Math.max(2, Math.round(p.reorderWindowMs / 20));
        const w = Math.floor(i / per);
        if (w !== win) {
          win = w;
          perm = shuffled(per);
        }
        at = Math.max(now, firstAt + (w * per + perm[i % per]) * 20);
      }
      const st = p.stall;
      if (st !== undefined && now - firstAt >= st.atMs) {
        const r = now - firstAt;
        at = Math.max(at, firstAt + st.atMs + st.durationMs + (r - st.atMs) / st.speed);
      }
      if (p.jitterMs !== undefined) {
        at += rand() * p.jitterMs;
        if (p.keepOrder) {
          at = Math.max(at, lastAt);
        }
      }
      lastAt = at;
      enqueue(at, [item]);
      if (p.dupRate !== undefined && rand() < p.dupRate) {
        stats.duplicated++;
        enqueue(at + rand() * 20, [item]);
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
