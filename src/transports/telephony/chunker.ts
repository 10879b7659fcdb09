import type { CarrierEncoding, CarrierMediaFormat, ChunkRule } from './types.js';

/** Silence in each codec: µ-law 0xFF, A-law 0xD5, linear PCM 0. */
export function silenceByte(encoding: CarrierEncoding): number {
  switch (encoding) {
    case 'mulaw':
      return 0xff;
    case 'alaw':
      return 0xd5;
    default:
      return 0x00;
  }
}

/** Bytes per sample per channel on the wire; 0 for variable-rate codecs. */
function sampleBytes(encoding: CarrierEncoding): number {
  switch (encoding) {
    case 'pcm16':
    case 'pcm16be':
      return 2;
    case 'mulaw':
    case 'alaw':
      return 1;
    case 'g722':
      // 64 kbit/s for 16 kHz audio: half a byte per sample.
      return 0.5;
    case 'opus':
    case 'amr-wb':
      return 0;
  }
}

export function frameBytesOf(
  encoding: CarrierEncoding,
  sampleRateHz: number,
  channels = 1,
): number {
  return Math.round(((sampleRateHz * 20) / 1000) * sampleBytes(encoding) * channels);
}

/** Smallest whole-sample unit of the codec (all channels). */
export function sampleAlign(encoding: CarrierEncoding, channels = 1): number {
  const b = sampleBytes(encoding);
  return b >= 1 ? b * channels : 1;
}

/** One message per `frameBytes`, no minimum: the shape of carriers with no documented rule. */
export function frameRule(
  encoding: CarrierEncoding,
  sampleRateHz: number,
  channels = 1,
): ChunkRule {
  const frame = frameBytesOf(encoding, sampleRateHz, channels);
  if (frame === 0) {
    return PASS_THROUGH;
  }
  return { alignBytes: sampleAlign(encoding, channels), minBytes: 1, maxBytes: frame };
}

/** Exactly one 20 ms frame per message; a short tail is held, then padded by flush(). */
export function exactFrameRule(
  encoding: CarrierEncoding,
  sampleRateHz: number,
  channels = 1,
): ChunkRule {
  const frame = frameBytesOf(encoding, sampleRateHz, channels);
  if (frame === 0) {
    return PASS_THROUGH;
  }
  return { alignBytes: frame, minBytes: frame, maxBytes: frame };
}

export const PASS_THROUGH: ChunkRule = { alignBytes: 1, minBytes: 1, maxBytes: Infinity };

export function makeFormat(
  encoding: CarrierEncoding,
  sampleRateHz: number,
  chunk: ChunkRule,
  channels = 1,
): CarrierMediaFormat {
  return {
    encoding,
    sampleRateHz,
    channels,
    frameBytes: frameBytesOf(encoding, sampleRateHz, channels),
    chunk,
  };
}

/**
 * Cuts reply audio into wire-sized chunks per a `ChunkRule`. Pure state: the held tail.
 * Every emitted chunk is a fresh copy or a view the caller may keep.
 */
export class Chunker {
  #rule: ChunkRule;
  #silence: number;
  #pending: Buffer = Buffer.alloc(0);
  readonly #padToMin: boolean;

  /**
   * `padToMin: false` when the minimum is the relay's batching choice rather than a
   * carrier rule: `flush()` then pads only to `alignBytes`.
   */
  constructor(rule: ChunkRule, silence: number, padToMin = true) {
    this.#rule = rule;
    this.#silence = silence;
    this.#padToMin = padToMin;
  }

  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Change the rule (the carrier told us its format); held audio is kept. */
  setRule(rule: ChunkRule, silence: number): void {
    this.#rule = rule;
    this.#silence = silence;
  }

  push(payload: Buffer): Buffer[] {
    if (payload.length === 0) {
      return [];
    }
    const { alignBytes, minBytes, maxBytes } = this.#rule;
    if (maxBytes === Infinity && this.#pending.length === 0) {
      return [payload];
    }
    let data = this.#pending.length === 0 ? payload : Buffer.concat([this.#pending, payload]);
    const out: Buffer[] = [];
    while (data.length >= minBytes) {
      const aligned = data.length - (data.length % alignBytes);
      const n = Math.min(maxBytes, aligned);
      if (n < minBytes || n === 0) {
        break;
      }
      out.push(data.subarray(0, n));
      data = data.subarray(n);
    }
    // Copy the tail so it does not pin the caller's (possibly large) buffer.
    this.#pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
    return out;
  }

  /** Held audio padded with silence to a valid chunk; [] when nothing is held. */
  flush(): Buffer[] {
    const len = this.#pending.length;
    if (len === 0) {
      return [];
    }
    const { alignBytes, minBytes } = this.#rule;
    const aligned = Math.ceil(len / alignBytes) * alignBytes;
    const size = this.#padToMin ? Math.max(minBytes, aligned) : aligned;
    const out = Buffer.alloc(size, this.#silence);
    this.#pending.copy(out, 0);
    this.#pending = Buffer.alloc(0);
    return [out];
  }

  reset(): void {
    this.#pending = Buffer.alloc(0);
  }
}
