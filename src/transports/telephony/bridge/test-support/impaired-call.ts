/**
 * One carrier call under a seeded network impairment, over real sockets: the simulated
 * carrier sends a known stream of caller audio in chunks (its own numbering, codec and
 * framing), on the impairment's schedule, followed by an in-order tail; the recording STT
 * server shows what the relay handed on. Also the oracle: the frames a perfect relay
 * delivers for that audio (decoded and resampled in one piece, cut into 20 ms frames).
 */
import { mulberry32 } from '../../../../media/jitter/traces.js';
import { synthVoice } from '../../../../media/pcm.js';
import { Resampler } from '../../../../media/resample/resampler.js';
import {
  UPLINK_PROFILES,
  impair,
  playSchedule,
  type ImpairmentProfile,
  type Schedule,
} from '../../../../testing/impairment.js';
import type { RecordedChunk } from '../../../../testing/recording-stt.js';
import type { WireMessage } from '../../types.js';
import { matches, protocolFor, type CarrierEnv, type SimName } from './call-scenario.js';
import { decodeSim, encodeSim, type CarrierProtocol } from './sim-carriers.js';
import { until } from './telephony-relay.js';

/** Pipeline rate of the acceptance pipeline. */
export const PIPELINE_HZ = 16000;
const FRAME_BYTES = (PIPELINE_HZ / 1000) * 20 * 2;

/** The impaired part of each call, then an in-order tail that ends every gap wait. */
export const HEAD_MS = 2400;
export const TAIL_MS = 400;

/** One carrier chunk: its wire bytes and the caller audio it carries (after the codec). */
export interface Chunk {
  readonly wire: Buffer;
  /** Channel 0 as PCM16LE at the carrier rate, as the relay decodes it. */
  readonly pcm: Buffer;
  readonly startMs: number;
  readonly ms: number;
}

/** Bytes per ms of the carrier's inbound audio, and per sample of every channel. */
function wireRate(p: CarrierProtocol): { perMs: number; stride: number } {
  const width = p.input.encoding === 'mulaw' || p.input.encoding === 'alaw' ? 1 : 2;
  return {
    perMs: (p.input.rate / 1000) * width * p.input.channels,
    stride: width * p.input.channels,
  };
}

/** Speech-like audio whose every 20 ms frame is unique (a seeded noise floor on a voice). */
export function callerAudio(ms: number, rateHz: number, seed: number): Buffer {
  const pcm = synthVoice(ms, rateHz, 3);
  const rnd = mulberry32(seed);
  for (let i = 0; i < pcm.length; i += 2) {
    const v = pcm.readInt16LE(i) + Math.round((rnd() - 0.5) * 400);
    pcm.writeInt16LE(Math.max(-32768, Math.min(32767, v)), i);
  }
  return pcm;
}

/**
 * Chunk sizes in bytes for `ms` of audio: `chunkMs` each (whole samples), or with
 * `oddBytes` random lengths of 10–200 ms with odd byte counts (samples split across chunks).
 */
export function chunkBytes(
  p: CarrierProtocol,
  ms: number,
  chunkMs: number,
  oddBytes: boolean,
  seed: number,
): number[] {
  const { perMs, stride } = wireRate(p);
  const total = Math.round(ms * perMs);
  const rnd = mulberry32(seed);
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    let n: number;
    if (oddBytes) {
      n = Math.round((10 + rnd() * 190) * perMs) | 1;
    } else {
      n = Math.round(chunkMs * perMs);
      n -= n % stride;
    }
    n = Math.min(n, left);
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** Cut the carrier's wire stream into chunks of the given sizes. */
function cut(p: CarrierProtocol, wire: Buffer, sizes: readonly number[], fromMs: number): Chunk[] {
  const { perMs, stride } = wireRate(p);
  const mono = { ...p.input, channels: 1 };
  const out: Chunk[] = [];
  let off = 0;
  for (const n of sizes) {
    const bytes = wire.subarray(off, off + n);
    // The caller's audio carried by this chunk, whole samples only (for the oracle).
    // A sample split across two chunks belongs to the chunk that completes it.
    const a = off - (off % stride);
    const b = off + n - ((off + n) % stride);
    const ch0 = Buffer.alloc(Math.max(0, (b - a) / p.input.channels));
    const w = stride / p.input.channels;
    for (let s = a; s < b; s += stride) {
      wire.copy(ch0, ((s - a) / stride) * w, s, s + w);
    }
    out.push({
      wire: bytes,
      pcm: decodeSim(mono, ch0),
      startMs: fromMs + off / perMs,
      ms: n / perMs,
    });
    off += n;
  }
  return out;
}

/** What a perfect relay hands to STT for this caller audio: one piece, 20 ms frames. */
export function oracleFrames(rateHz: number, pcm: Buffer): Buffer[] {
  const r = new Resampler(rateHz, PIPELINE_HZ, { quality: 'low' });
  const out = r.process(pcm);
  const frames: Buffer[] = [];
  for (let off = 0; off + FRAME_BYTES <= out.length; off += FRAME_BYTES) {
    frames.push(Buffer.from(out.subarray(off, off + FRAME_BYTES)));
  }
  return frames;
}

/** Carriers that number their media chunks (the others send bare audio over a WebSocket). */
export const NUMBERED: ReadonlySet<SimName> = new Set(['twilio', 'telnyx', 'exotel', 'plivo']);

export interface ImpairedRun {
  carrier: SimName;
  profile: string;
  chunks: readonly Chunk[];
  /** Head chunks never sent (indices into `chunks`). */
  lost: ReadonlySet<number>;
  /** Indices of the chunks in the order they were sent, duplicates included. */
  sent: readonly number[];
  duplicates: number;
  /**
   * The oracle: what a perfect relay hands on. Numbered carriers: the whole stream (lost
   * chunks included; the test takes them out). Unnumbered: the audio as sent, in send order.
   */
  oracle: readonly Buffer[];
  /** What the STT received for this call, in order. */
  got: readonly RecordedChunk[];
  /** Chunks the relay's carrier stage reports as reordered. */
  reordered: number;
  /** The session's uplink counters. */
  uplink: { late: number; lost: number; overflow: number };
}

export interface RunOptions {
  env: CarrierEnv;
  stt: { chunks: RecordedChunk[] };
  carrier: SimName;
  profileName: string;
  profile: ImpairmentProfile;
  seed: number;
}

/** Media message per chunk, built once so a duplicate is the same message again. */
function messages(p: CarrierProtocol, chunks: readonly Chunk[]): (i: number) => WireMessage {
  const cache = new Map<number, WireMessage>();
  return (i) => {
    let m = cache.get(i);
    if (m === undefined) {
      const c = chunks[i] as Chunk;
      m = p.media(c.wire, i, Math.round(c.startMs));
      cache.set(i, m);
    }
    return m;
  };
}

/** The chunking of a profile: its own chunk size, else the carrier's (20 ms for reorder). */
export function profileChunkMs(p: CarrierProtocol, profile: ImpairmentProfile): number {
  if (profile.chunkMs !== undefined) {
    return profile.chunkMs;
  }
  // Reorder within a window needs more than one chunk per window.
  return profile.reorderWindowMs !== undefined && p.input.chunkMs >= profile.reorderWindowMs
    ? 20
    : p.input.chunkMs;
}

/**
 * The head chunks' schedule, from the first seed (counting up from `seed`) whose schedule
 * shows the impairment: a lost chunk for loss, a chunk ahead of chunk 1 for reorder.
 */
function schedule(chunks: readonly Chunk[], headCount: number, o: RunOptions): Schedule {
  const ms = chunks.slice(0, headCount).map((c) => c.ms);
  for (let seed = o.seed; ; seed++) {
    const s = impair(headCount, ms, o.profile, seed);
    const lossShown = o.profile.lossRate === undefined || s.lost.size > 0;
    const reorderShown = o.profile.reorderWindowMs === undefined || s.sends[0]?.index !== 0;
    if (lossShown && reorderShown) {
      return s;
    }
  }
}

/** Dial, send the impaired head and the tail, wait for the last frame at STT, hang up. */
export async function runImpaired(o: RunOptions): Promise<ImpairedRun> {
  const p = protocolFor(o.carrier, o.env);
  const pcm = callerAudio(HEAD_MS + TAIL_MS, p.input.rate, o.seed);
  const wire = encodeSim(p.input, pcm);
  const headBytes = Math.round(HEAD_MS * wireRate(p).perMs);
  const headSizes = chunkBytes(
    p,
    HEAD_MS,
    profileChunkMs(p, o.profile),
    o.profile.oddBytes === true,
    o.seed,
  );
  const tailSizes = chunkBytes(p, TAIL_MS, p.input.chunkMs, false, o.seed);
  const chunks = [
    ...cut(p, wire.subarray(0, headBytes), headSizes, 0),
    ...cut(p, wire.subarray(headBytes), tailSizes, HEAD_MS),
  ];
  const head = schedule(chunks, headSizes.length, o);
  const tail = impair(tailSizes.length, TAIL_MS / tailSizes.length, UPLINK_PROFILES.inOrder, 0);
  const message = messages(p, chunks);
  const sent: number[] = [];
  let duplicates = 0;
  const link = await p.connect({ media: o.env.relay.media });
  const send = (i: number, duplicate: boolean): void => {
    sent.push(i);
    duplicates += duplicate ? 1 : 0;
    link.send(message(i));
  };
  try {
    for (const m of p.opening()) {
      link.send(m);
    }
    await playSchedule(head, send);
    await playSchedule(tail, (i, d) => send(headSizes.length + i, d));
    const inStream = NUMBERED.has(o.carrier) ? chunks : sent.map((i) => chunks[i] as Chunk);
    const oracle = oracleFrames(p.input.rate, Buffer.concat(inStream.map((c) => c.pcm)));
    const end = oracle[oracle.length - 1] ?? Buffer.alloc(0);
    const observed = await o.env.relay.calls.find(matches(p));
    const sessionId = observed.info.sessionId ?? '';
    let seen = 0;
    let done = false;
    const got: RecordedChunk[] = [];
    // Everything the relay hands on for this call, up to its last frame.
    await until(
      () => {
        const all = o.stt.chunks;
        for (; seen < all.length; seen++) {
          const c = all[seen] as RecordedChunk;
          if (c.requestId === sessionId) {
            got.push(c);
            done ||= c.audio.equals(end);
          }
        }
        return done;
      },
      30_000,
      `${o.carrier} / ${o.profileName}: the last frame at STT`,
    );
    const j = o.env.relay.relay.sessions?.get(sessionId)?.info().jitter;
    return {
      carrier: o.carrier,
      profile: o.profileName,
      chunks,
      lost: head.lost,
      sent,
      duplicates,
      oracle,
      got,
      reordered: observed.info.chunksReordered ?? 0,
      uplink: { late: j?.late ?? -1, lost: j?.lost ?? -1, overflow: j?.overflow ?? -1 },
    };
  } finally {
    link.close();
    await link.closed;
  }
}
