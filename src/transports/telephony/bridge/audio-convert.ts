/**
 * Audio between a carrier's wire format and the pipeline's 20 ms PCM16LE frames: the codec
 * helpers, and outbound (`OutboundAudio`): pipeline frames → resampled to the carrier rate →
 * encoded → released in pieces that obey the carrier's chunk rule exactly (so the serializer
 * never holds a tail and a playback mark can follow any piece), with the seq of the last whole
 * frame each piece completes. Inbound is `InboundAudio` (inbound-audio.ts).
 *
 * Pure: no I/O, no timers.
 */
import type { OutputFrame } from '../../../frames/frames.js';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../media/codecs/g711.js';
import { Resampler } from '../../../media/resample/resampler.js';
import type { CarrierEncoding, CarrierMediaFormat } from '../types.js';

/** Encodings the relay can decode and encode (the others are passed through by carriers). */
export type ConvertibleEncoding = 'pcm16' | 'pcm16be' | 'mulaw' | 'alaw';

export function isConvertible(encoding: CarrierEncoding): encoding is ConvertibleEncoding {
  return (
    encoding === 'pcm16' || encoding === 'pcm16be' || encoding === 'mulaw' || encoding === 'alaw'
  );
}

export function bytesPerSample(encoding: ConvertibleEncoding): 1 | 2 {
  return encoding === 'mulaw' || encoding === 'alaw' ? 1 : 2;
}

/** Why a payload could not be decoded (never thrown for carrier input). */
export type DecodeResult = { ok: true; pcm: Buffer } | { ok: false; reason: string };

/**
 * Codec bytes → PCM16LE mono (channel 0 of interleaved multi-channel audio: the caller's
 * leg for stereo carrier streams). Always returns a buffer the caller may keep.
 */
export function decodeCarrier(
  encoding: ConvertibleEncoding,
  channels: number,
  bytes: Buffer,
): DecodeResult {
  const width = bytesPerSample(encoding);
  const stride = width * channels;
  if (bytes.length % stride !== 0) {
    return { ok: false, reason: 'payload is not a whole number of samples' };
  }
  let mono = bytes;
  if (channels > 1) {
    const n = bytes.length / stride;
    mono = Buffer.allocUnsafe(n * width);
    for (let i = 0; i < n; i++) {
      bytes.copy(mono, i * width, i * stride, i * stride + width);
    }
  }
  switch (encoding) {
    case 'mulaw':
      return { ok: true, pcm: mulawDecode(mono) };
    case 'alaw':
      return { ok: true, pcm: alawDecode(mono) };
    case 'pcm16':
      return { ok: true, pcm: mono === bytes ? Buffer.from(bytes) : mono };
    case 'pcm16be': {
      const out = mono === bytes ? Buffer.from(bytes) : mono;
      return { ok: true, pcm: out.swap16() };
    }
  }
}

/** PCM16LE mono → codec bytes, duplicated to `channels` interleaved channels. */
export function encodeCarrier(
  encoding: ConvertibleEncoding,
  channels: number,
  pcm16: Buffer,
): Buffer {
  let mono: Buffer;
  switch (encoding) {
    case 'mulaw':
      mono = mulawEncode(pcm16);
      break;
    case 'alaw':
      mono = alawEncode(pcm16);
      break;
    case 'pcm16':
      mono = Buffer.from(pcm16);
      break;
    case 'pcm16be':
      mono = Buffer.from(pcm16).swap16();
      break;
  }
  if (channels <= 1) {
    return mono;
  }
  const width = bytesPerSample(encoding);
  const n = mono.length / width;
  const out = Buffer.allocUnsafe(n * width * channels);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      mono.copy(out, (i * channels + c) * width, i * width, (i + 1) * width);
    }
  }
  return out;
}

/** A piece of encoded reply audio ready for `serializer.media()`. */
export interface OutboundPiece {
  bytes: Buffer;
  /** Output seq of the last frame whose audio is complete with this piece, if any. */
  lastSeq: number | undefined;
  /** Frames completed by this piece. */
  frames: number;
}

/**
 * Reply frames → encoded carrier audio for one call, cut so that every piece is a valid
 * chunk of the carrier's rule (a multiple of `alignBytes`, at least `minBytes`, and split at
 * `maxBytes` without leaving a short remainder).
 */
export class OutboundAudio {
  readonly format: CarrierMediaFormat;
  readonly #encoding: ConvertibleEncoding;
  readonly #resampler: Resampler;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Encoded end offset (bytes since the reply started) of each frame not yet released. */
  #ends: { seq: number; end: number }[] = [];
  #appended = 0;
  #released = 0;

  constructor(pipelineRateHz: number, format: CarrierMediaFormat) {
    if (!isConvertible(format.encoding)) {
      throw new RangeError(`cannot encode ${format.encoding}`);
    }
    this.format = format;
    this.#encoding = format.encoding;
    this.#resampler = new Resampler(pipelineRateHz, format.sampleRateHz, { quality: 'low' });
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** One reply frame; returns the piece it completes, if the rule allows sending now. */
  push(frame: OutputFrame): OutboundPiece | undefined {
    const pcm = this.#resampler.process(frame.payload);
    this.#append(encodeCarrier(this.#encoding, this.format.channels, pcm));
    this.#ends.push({ seq: frame.seq, end: this.#appended });
    return this.#release(false);
  }

  /**
   * End of a reply: the resampler's tail and everything held, as one piece (the serializer's
   * `flush()`/`mark()` pads it to a valid chunk).
   */
  finish(): OutboundPiece | undefined {
    const tail = this.#resampler.flush();
    if (tail.length > 0) {
      this.#append(encodeCarrier(this.#encoding, this.format.channels, tail));
    }
    const piece = this.#release(true);
    this.#restart();
    return piece;
  }

  /** Barge-in: drop everything held. */
  reset(): void {
    this.#resampler.reset();
    this.#restart();
  }

  #restart(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#ends = [];
    this.#appended = 0;
    this.#released = 0;
  }

  #append(bytes: Buffer): void {
    if (bytes.length > 0) {
      this.#pending.push(bytes);
      this.#pendingBytes += bytes.length;
      this.#appended += bytes.length;
    }
  }

  /** Bytes of the held audio that can go out now as whole valid chunks. */
  #sendable(): number {
    const { alignBytes, minBytes, maxBytes } = this.format.chunk;
    let n = this.#pendingBytes - (this.#pendingBytes % alignBytes);
    if (n < minBytes) {
      return 0;
    }
    if (Number.isFinite(maxBytes)) {
      const maxA = maxBytes - (maxBytes % alignBytes);
      if (maxA > 0 && n > maxA) {
        const rem = n % maxA;
        if (rem !== 0 && rem < minBytes) {
          n -= rem;
        }
      }
    }
    return n;
  }

  #release(all: boolean): OutboundPiece | undefined {
    const n = all ? this.#pendingBytes : this.#sendable();
    if (n === 0) {
      return undefined;
    }
    const first = this.#pending[0];
    const data =
      this.#pending.length === 1 && first !== undefined
        ? first
        : Buffer.concat(this.#pending, this.#pendingBytes);
    const bytes = data.subarray(0, n);
    const rest = data.subarray(n);
    this.#pending = rest.length === 0 ? [] : [Buffer.from(rest)];
    this.#pendingBytes = rest.length;
    this.#released += n;
    let lastSeq: number | undefined;
    let done = 0;
    while (
      done < this.#ends.length &&
      (all || (this.#ends[done]?.end ?? Infinity) <= this.#released)
    ) {
      lastSeq = this.#ends[done]?.seq;
      done++;
    }
    this.#ends.splice(0, done);
    const frames = done;
    return { bytes, lastSeq, frames };
  }
}
