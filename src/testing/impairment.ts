/**
 * A deterministic network-impairment harness: turns a stream of numbered messages (frames or
 * carrier chunks) into a send schedule with delay jitter, reorder within windows, duplicates,
 * random loss, bursts and a stall followed by a catch-up at N× real time. The same seed gives
 * the same schedule, so a failing run can be replayed. Used by the tests, the bench and
 * (as JSON schedules) by load scripts.
 *
 * Pure: no clock and no I/O here; `playSchedule` is the one helper that sends in real time.
 */
import { mulberry32 } from '../media/jitter/traces.js';

export interface ImpairmentProfile {
  readonly name: string;
  /** Extra one-way delay, uniform in [0, jitterMs] (may reorder when > the message spacing). */
  readonly jitterMs?: number;
  /** Messages are shuffled within consecutive windows of this many ms of media. */
  readonly reorderWindowMs?: number;
  /** Probability that a message is sent twice. */
  readonly duplicateRate?: number;
  /** Probability that a message is never sent (truly lost). */
  readonly lossRate?: number;
  /** Every `everyMs` of media, messages are held for `lengthMs` and sent together. */
  readonly burst?: { readonly everyMs: number; readonly lengthMs: number };
  /** At `atMs` the sender stops for `durationMs`, then sends its backlog at `speed`× real time. */
  readonly stall?: { readonly atMs: number; readonly durationMs: number; readonly speed: number };
  /** Media duration per message: 20 ms frames, or a carrier's chunk size (10–200 ms). */
  readonly chunkMs?: number;
  /** Vary each chunk's length by an odd number of bytes (the total stays exact). */
  readonly oddBytes?: boolean;
}

/** The acceptance profiles of the uplink ("nothing lost on the way in"). */
export const UPLINK_PROFILES = {
  inOrder: { name: 'in order' },
  reorder100: { name: 'reorder within 100 ms windows', reorderWindowMs: 100 },
  duplicates2: { name: '2 % duplicates', duplicateRate: 0.02 },
  chunks100: { name: '100 ms chunks', chunkMs: 100 },
  stall2s: { name: '2 s stall, 5× catch-up', stall: { atMs: 1_000, durationMs: 2_000, speed: 5 } },
  loss1: { name: '1 % random loss', lossRate: 0.01 },
} as const satisfies Record<string, ImpairmentProfile>;

export interface ScheduledSend {
  /** Send time, ms after the start. */
  readonly atMs: number;
  /** Index of the message in the original stream. */
  readonly index: number;
  readonly duplicate: boolean;
}

export interface Schedule {
  readonly sends: readonly ScheduledSend[];
  /** Indices never sent (the oracle: everything else must arrive). */
  readonly lost: ReadonlySet<number>;
}

/**
 * The send schedule for `count` messages of `messageMs` media each, or of the media
 * durations `messageMs[i]` (chunks of varying length).
 */
export function impair(
  count: number,
  messageMs: number | readonly number[],
  profile: ImpairmentProfile,
  seed: number,
): Schedule {
  const rnd = mulberry32(seed);
  const lost = new Set<number>();
  const natural: number[] = [];
  let end = 0;
  for (let i = 0; i < count; i++) {
    end += typeof messageMs === 'number' ? messageMs : (messageMs[i] ?? 0);
    natural.push(end); // sent once its last sample was captured
  }
  const meanMs = count === 0 ? 0 : end / count;
  // Reorder: within each window the send times stay, the messages are shuffled.
  const order = natural.map((_, i) => i);
  const w = profile.reorderWindowMs;
  if (w !== undefined && w > meanMs) {
    const per = Math.max(2, Math.round(w / meanMs));
    for (let start = 0; start < count; start += per) {
      const end = Math.min(count, start + per);
      for (let i = end - 1; i > start; i--) {
        const j = start + Math.floor(rnd() * (i - start + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
    }
  }
  const sends: ScheduledSend[] = [];
  for (let slot = 0; slot < count; slot++) {
    const index = order[slot] as number;
    if (profile.lossRate !== undefined && rnd() < profile.lossRate) {
      lost.add(index);
      continue;
    }
    let at = natural[slot] as number;
    at = applyStall(at, profile);
    const b = profile.burst;
    if (b !== undefined && at % b.everyMs < b.lengthMs) {
      at = at - (at % b.everyMs) + b.lengthMs;
    }
    if (profile.jitterMs !== undefined) {
      at += rnd() * profile.jitterMs;
    }
    sends.push({ atMs: at, index, duplicate: false });
    if (profile.duplicateRate !== undefined && rnd() < profile.duplicateRate) {
      sends.push({ atMs: at + rnd() * meanMs, index, duplicate: true });
    }
  }
  sends.sort((a, b) => a.atMs - b.atMs);
  return { sends, lost };
}

function applyStall(at: number, profile: ImpairmentProfile): number {
  const s = profile.stall;
  if (s === undefined || at < s.atMs) {
    return at;
  }
  const resume = s.atMs + s.durationMs;
  // The backlog goes out at `speed`× from `resume` until it has caught up with real time.
  const catchUp = resume + (at - s.atMs) / s.speed;
  return Math.max(at, catchUp);
}

/**
 * Cut `total` bytes into carrier chunks of `chunkMs` (aligned to `align` bytes), or with
 * `oddBytes` into chunks whose lengths wander by odd byte counts around that size.
 */
export function chunkSizes(
  total: number,
  bytesPerMs: number,
  chunkMs: number,
  align: number,
  oddBytes: boolean,
  seed: number,
): number[] {
  const rnd = mulberry32(seed);
  const nominal = Math.max(align, Math.round((bytesPerMs * chunkMs) / align) * align);
  const out: number[] = [];
  let left = total;
  while (left > 0) {
    let n = nominal;
    if (oddBytes) {
      n = Math.max(1, nominal + (Math.floor(rnd() * 7) - 3) * 2 + 1);
    }
    n = Math.min(n, left);
    out.push(n);
    left -= n;
  }
  return out;
}

/**
 * Send a schedule in real time (one timer at a time, no timer per message): `send(index)`
 * for each entry at `atMs` after the start. Resolves after the last send.
 */
export async function playSchedule(
  schedule: Schedule,
  send: (index: number, duplicate: boolean) => void,
): Promise<void> {
  const t0 = performance.now();
  for (const s of schedule.sends) {
    const wait = t0 + s.atMs - performance.now();
    if (wait > 1) {
      await new Promise<void>((resolve) => setTimeout(resolve, wait));
    }
    send(s.index, s.duplicate);
  }
}
