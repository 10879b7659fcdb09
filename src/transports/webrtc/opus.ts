import { Decoder, Encoder } from '@evan/opus';
import { bytesPerFrame } from '../../frames/frames.js';
import { Resampler } from '../../media/resample/index.js';

/**
 * Opus at the edge of the WebRTC transport (@evan/opus, native libopus).
 *
 * An Opus stream has no sample rate of its own (RTP runs a 48 kHz clock regardless, RFC
 * 7587): libopus encodes from and decodes to 8, 12, 16, 24 or 48 kHz directly. When the
 * pipeline runs at one of those rates the codec works at that rate and nothing is
 * resampled; any other rate (22050) goes through the relay's resampler at 48 kHz.
 */
export const OPUS_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];

/**
 * One 20 ms CELT frame that decodes to digital silence (TOC 0xF8: config 31, mono, one
 * frame). Sent while there is no reply audio, so the stream never has gaps and costs no
 * encoder time.
 */
export const OPUS_SILENCE_FRAME: Buffer = Buffer.from([0xf8, 0xff, 0xfe]);

type OpusRate = 8000 | 12000 | 16000 | 24000 | 48000;

function codecRate(pipelineRate: number): OpusRate {
  return (OPUS_RATES.includes(pipelineRate) ? pipelineRate : 48_000) as OpusRate;
}

/** Opus packets → PCM16LE mono at the pipeline rate. */
export class OpusDecoderAtRate {
  readonly #decoder: Decoder;
  readonly #resampler: Resampler | undefined;

  constructor(pipelineRate: number, quality: 'low' | 'medium' | 'high' = 'low') {
    const rate = codecRate(pipelineRate);
    this.#decoder = new Decoder({ channels: 1, sample_rate: rate });
    this.#resampler =
      rate === pipelineRate ? undefined : new Resampler(rate, pipelineRate, { quality });
  }

  /** Decodes one packet (any duration Opus allows); throws on a corrupt packet. */
  decode(packet: Buffer): Buffer {
    const pcm = this.#decoder.decode(packet);
    const buf = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    return this.#resampler === undefined ? buf : this.#resampler.process(buf);
  }
}

export interface OpusEncoderOptions {
  /** Target bitrate in bit/s (default 32000). */
  bitrate?: number;
  /** libopus complexity 0–10 (default 5: ~40 % cheaper than 9, no audible loss for TTS). */
  complexity?: number;
}

/** PCM16LE mono 20 ms frames at the pipeline rate → Opus packets. */
export class OpusEncoderAtRate {
  readonly #encoder: Encoder;
  readonly #resampler: Resampler | undefined;
  readonly #frameBytes: number;

  constructor(pipelineRate: number, o: OpusEncoderOptions = {}) {
    const rate = codecRate(pipelineRate);
    this.#encoder = new Encoder({ channels: 1, sample_rate: rate, application: 'voip' });
    this.#encoder.bitrate = o.bitrate ?? 32_000;
    this.#encoder.complexity = clampComplexity(o.complexity ?? 5);
    this.#encoder.signal = 'voice';
    this.#resampler =
      rate === pipelineRate ? undefined : new Resampler(pipelineRate, rate, { quality: 'low' });
    this.#frameBytes = bytesPerFrame(pipelineRate);
  }

  /** Encodes one 20 ms frame; a shorter one (the end of a reply) is padded with silence. */
  encode(pcm: Buffer): Buffer {
    let frame = pcm;
    if (frame.length !== this.#frameBytes) {
      frame = Buffer.alloc(this.#frameBytes);
      pcm.copy(frame, 0, 0, Math.min(pcm.length, this.#frameBytes) & ~1);
    }
    const input = this.#resampler === undefined ? frame : this.#resampler.process(frame);
    const out = this.#encoder.encode(input);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }
}

function clampComplexity(c: number): 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 {
  return Math.max(0, Math.min(10, Math.round(c))) as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
}
