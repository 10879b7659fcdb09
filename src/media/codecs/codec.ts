import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711.js';

/** Wire encodings the relay converts to and from its internal PCM16LE. */
export type AudioCodecName = 'pcm16' | 'mulaw' | 'alaw';

export const AUDIO_CODEC_NAMES: readonly AudioCodecName[] = ['pcm16', 'mulaw', 'alaw'];

export function isAudioCodecName(value: string): value is AudioCodecName {
  return value === 'pcm16' || value === 'mulaw' || value === 'alaw';
}

/** Encoded bytes per (mono) sample: 2 for PCM16LE, 1 for G.711. */
export function bytesPerSample(name: AudioCodecName): 1 | 2 {
  return name === 'pcm16' ? 2 : 1;
}

function copyInto(src: Buffer, out: Buffer): Buffer {
  if (out.length < src.length) {
    throw new RangeError(`output buffer too small: need ${src.length} bytes, got ${out.length}`);
  }
  src.copy(out, 0);
  return out.length === src.length ? out : out.subarray(0, src.length);
}

/**
 * Internal PCM16LE → `name`. For 'pcm16' without `out` the input is returned as is
 * (no copy); with `out` the result is written into it and the written prefix returned.
 */
export function encodeTo(name: AudioCodecName, pcm16: Buffer, out?: Buffer): Buffer {
  switch (name) {
    case 'pcm16':
      if ((pcm16.length & 1) !== 0) {
        throw new RangeError(`PCM16 buffer has an odd length (${pcm16.length} bytes)`);
      }
      return out === undefined ? pcm16 : copyInto(pcm16, out);
    case 'mulaw':
      return mulawEncode(pcm16, out);
    case 'alaw':
      return alawEncode(pcm16, out);
  }
}

/**
 * `name` → internal PCM16LE. For 'pcm16' without `out` the input is returned as is
 * (no copy); with `out` the result is written into it and the written prefix returned.
 */
export function decodeFrom(name: AudioCodecName, bytes: Buffer, out?: Buffer): Buffer {
  switch (name) {
    case 'pcm16':
      if ((bytes.length & 1) !== 0) {
        throw new RangeError(`PCM16 buffer has an odd length (${bytes.length} bytes)`);
      }
      return out === undefined ? bytes : copyInto(bytes, out);
    case 'mulaw':
      return mulawDecode(bytes, out);
    case 'alaw':
      return alawDecode(bytes, out);
  }
}
