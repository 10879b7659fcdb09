import { FRAME_MS } from '../../frames/frames.js';

/**
 * Deterministic synthetic arrival traces for jitter-buffer replay. Seqs start just below
 * 2^32 and media timestamps just below 2^32 ms, so every replay crosses both wraparounds.
 */

export interface TracePacket {
  readonly seq: number;
  /** Sender media time, u32 ms (wraps). */
  readonly mediaTsMs: number;
  /** Arrival time on the receiver clock; NaN when lost. */
  readonly arrivalMs: number;
  readonly lost: boolean;
}

export interface Trace {
  readonly name: string;
  readonly frameMs: number;
  readonly packets: readonly TracePacket[];
  /** Receiver time at which the network behaviour changes (step trace). */
  readonly stepAtMs?: number;
}

export interface TraceOptions {
  frames?: number;
  seed?: number;
  seqStart?: number;
  tsStart?: number;
  /** Receiver time of the first send + base transit is added on top. */
  startMs?: number;
  baseTransitMs?: number;
}

const U32 = 0x1_0000_0000;

/** mulberry32: tiny seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function quantileOf(values: readonly number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? 0;
}

interface Base {
  n: number;
  seqStart: number;
  tsStart: number;
  startMs: number;
  transit: number;
  rand: () => number;
}

function base(options: TraceOptions, defaultSeed: number): Base {
  return {
    n: options.frames ?? 3000,
    seqStart: options.seqStart ?? 0xffff_ff00,
    tsStart: options.tsStart ?? 0xffff_f000,
    startMs: options.startMs ?? 1_700_000_000_000,
    transit: options.baseTransitMs ?? 30,
    rand: mulberry32(options.seed ?? defaultSeed),
  };
}

/** Build packets from per-frame extra delay (ms above the base transit) and loss flags. */
function build(b: Base, extra: readonly number[], lost: readonly boolean[]): TracePacket[] {
  const out: TracePacket[] = [];
  for (let i = 0; i < b.n; i++) {
    const isLost = lost[i] ?? false;
    out.push({
      seq: (b.seqStart + i) % U32,
      mediaTsMs: (b.tsStart + i * FRAME_MS) % U32,
      arrivalMs: isLost ? NaN : b.startMs + i * FRAME_MS + b.transit + (extra[i] ?? 0),
      lost: isLost,
    });
  }
  return out;
}

function noise(b: Base, amplitudeMs: number): number[] {
  return Array.from({ length: b.n }, () => b.rand() * amplitudeMs);
}

/**
 * Correlated network jitter scaled so its p95 is `p95Ms`: an AR(1) queueing component
 * (|N|, ρ = 0.95 per frame, ≈ 0.4 s memory) plus an independent exponential component.
 */
function networkJitter(b: Base, count: number, p95Ms: number): number[] {
  const raw: number[] = [];
  let g = gaussian(b.rand);
  for (let i = 0; i < count; i++) {
    g = 0.95 * g + Math.sqrt(1 - 0.95 * 0.95) * gaussian(b.rand);
    raw.push(Math.abs(g) + 0.2 * -Math.log(Math.max(b.rand(), 1e-12)));
  }
  const scale = p95Ms / quantileOf(raw, 0.95);
  return raw.map((v) => v * scale);
}

/** Send i arrives just after send i+1 for a fraction `rate` of frames. */
function reorder(b: Base, extra: number[], rate: number): void {
  for (let i = 0; i + 1 < b.n; i++) {
    if (b.rand() < rate) {
      const after = FRAME_MS + (extra[i + 1] ?? 0) + 0.1 + b.rand() * 2;
      extra[i] = Math.max(extra[i] ?? 0, after);
    }
  }
}

function losses(b: Base, rate: number): boolean[] {
  return Array.from({ length: b.n }, () => b.rand() < rate);
}

/** (a) Constant transit plus up to 1 ms of uniform noise. */
export function cleanTrace(options: TraceOptions = {}): Trace {
  const b = base(options, 1);
  const lost = new Array<boolean>(b.n).fill(false);
  return { name: 'clean', frameMs: FRAME_MS, packets: build(b, noise(b, 1), lost) };
}

/** (b) p95 relative delay 40 ms (correlated), 1 % reordered, 1 % lost. */
export function jitterTrace(options: TraceOptions = {}): Trace {
  const b = base(options, 2);
  const extra = networkJitter(b, b.n, 40);
  reorder(b, extra, 0.01);
  return { name: 'jitter', frameMs: FRAME_MS, packets: build(b, extra, losses(b, 0.01)) };
}

/**
 * (c) Clean, except one 120 ms stall at the middle: the frames sent during it are held and
 * then arrive together (delays 120, 100, …, 20 ms).
 */
export function burstTrace(options: TraceOptions = {}, stallMs = 120): Trace {
  const b = base(options, 3);
  const extra = noise(b, 1);
  const at = Math.floor(b.n / 2);
  for (let i = at; (i - at) * FRAME_MS < stallMs && i < b.n; i++) {
    extra[i] = stallMs - (i - at) * FRAME_MS + (i - at) * 0.05;
  }
  const lost = new Array<boolean>(b.n).fill(false);
  return { name: 'burst', frameMs: FRAME_MS, packets: build(b, extra, lost) };
}

/** (d) Clean for the first third, then the jitter of (b) (no loss): convergence after a step. */
export function stepTrace(options: TraceOptions = {}): Trace {
  const b = base(options, 4);
  const at = Math.floor(b.n / 3);
  const extra = noise(b, 1);
  const jitter = networkJitter(b, b.n - at, 40);
  for (let i = at; i < b.n; i++) {
    extra[i] = (extra[i] ?? 0) + (jitter[i - at] ?? 0);
  }
  const lost = new Array<boolean>(b.n).fill(false);
  return {
    name: 'step',
    frameMs: FRAME_MS,
    packets: build(b, extra, lost),
    stepAtMs: b.startMs + at * FRAME_MS + b.transit,
  };
}

export function standardTraces(options: TraceOptions = {}): Trace[] {
  return [cleanTrace(options), jitterTrace(options), burstTrace(options), stepTrace(options)];
}

/**
 * Relative delays of the received packets: transit − minimum transit, with the media
 * timestamps unwrapped by frame index (packets are in send order).
 */
export function relativeDelays(trace: Trace): number[] {
  const transits: number[] = [];
  trace.packets.forEach((p, i) => {
    if (!p.lost) {
      transits.push(p.arrivalMs - i * trace.frameMs);
    }
  });
  const min = Math.min(...transits);
  return transits.map((t) => t - min);
}

/** Quantile q of the trace's relative delay (e.g. 0.99 sizes the oracle fixed buffer). */
export function relativeDelayQuantile(trace: Trace, q: number): number {
  return quantileOf(relativeDelays(trace), q);
}
