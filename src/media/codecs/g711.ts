/**
 * ITU-T G.711 µ-law and A-law, bit-exact with the classic Sun Microsystems reference
 * implementation (g711.c: linear2ulaw / ulaw2linear / linear2alaw / alaw2linear).
 *
 * Decode uses 256-entry tables; encode uses a 14-bit (µ-law) or 13-bit (A-law) table indexed
 * by the top bits of the 16-bit sample, i.e. exactly the bits the reference keeps after its
 * initial `>> 2` / `>> 3`. All tables are built once at module load.
 *
 * PCM is PCM16LE mono in Node Buffers. Samples are read and written bytewise, so buffers with
 * an odd byteOffset are fine.
 */

const SEG_MASK = 0x70;
const SEG_SHIFT = 4;
const QUANT_MASK = 0x0f;
const SIGN_BIT = 0x80;

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 8159;
const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) {
    if (value <= (ends[i] ?? 0)) {
      return i;
    }
  }
  return ends.length;
}

/** Reference linear2ulaw for a 16-bit two's-complement sample. */
function linearToMulawRef(pcm: number): number {
  let v = pcm >> 2;
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (v > MULAW_CLIP) {
    v = MULAW_CLIP;
  }
  v += MULAW_BIAS >> 2;
  const seg = segment(v, SEG_UEND);
  if (seg >= 8) {
    return 0x7f ^ mask;
  }
  return ((seg << 4) | ((v >> (seg + 1)) & QUANT_MASK)) ^ mask;
}

/** Reference ulaw2linear. */
function mulawToLinearRef(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & QUANT_MASK) << 3) + MULAW_BIAS) << ((u & SEG_MASK) >> SEG_SHIFT);
  return u & SIGN_BIT ? MULAW_BIAS - t : t - MULAW_BIAS;
}

/** Reference linear2alaw for a 16-bit two's-complement sample. */
function linearToAlawRef(pcm: number): number {
  let v = pcm >> 3;
  let mask: number;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, SEG_AEND);
  if (seg >= 8) {
    return 0x7f ^ mask;
  }
  const quant = seg < 2 ? (v >> 1) & QUANT_MASK : (v >> seg) & QUANT_MASK;
  return ((seg << SEG_SHIFT) | quant) ^ mask;
}

/** Reference alaw2linear. */
function alawToLinearRef(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  let t = (a & QUANT_MASK) << 4;
  const seg = (a & SEG_MASK) >> SEG_SHIFT;
  if (seg === 0) {
    t += 8;
  } else {
    t = (t + 0x108) << (seg - 1);
  }
  return a & SIGN_BIT ? t : -t;
}

/** µ-law code for each 14-bit value `(uint16 sample) >> 2`. */
const MULAW_ENCODE = new Uint8Array(1 << 14);
/** A-law code for each 13-bit value `(uint16 sample) >> 3`. */
const ALAW_ENCODE = new Uint8Array(1 << 13);
/** Decoded samples, stored as little-endian byte pairs so decode is two byte stores. */
const MULAW_DECODE_LO = new Uint8Array(256);
const MULAW_DECODE_HI = new Uint8Array(256);
const ALAW_DECODE_LO = new Uint8Array(256);
const ALAW_DECODE_HI = new Uint8Array(256);

for (let i = 0; i < MULAW_ENCODE.length; i++) {
  MULAW_ENCODE[i] = linearToMulawRef(((i << 18) >> 18) << 2);
}
for (let i = 0; i < ALAW_ENCODE.length; i++) {
  ALAW_ENCODE[i] = linearToAlawRef(((i << 19) >> 19) << 3);
}
for (let c = 0; c < 256; c++) {
  const mu = mulawToLinearRef(c);
  MULAW_DECODE_LO[c] = mu & 0xff;
  MULAW_DECODE_HI[c] = (mu >> 8) & 0xff;
  const a = alawToLinearRef(c);
  ALAW_DECODE_LO[c] = a & 0xff;
  ALAW_DECODE_HI[c] = (a >> 8) & 0xff;
}

function outputBuffer(bytes: number, out: Buffer | undefined): Buffer {
  if (out === undefined) {
    return Buffer.allocUnsafe(bytes);
  }
  if (out.length < bytes) {
    throw new RangeError(`output buffer too small: need ${bytes} bytes, got ${out.length}`);
  }
  return out.length === bytes ? out : out.subarray(0, bytes);
}

function checkPcm(pcm16: Buffer): void {
  if ((pcm16.length & 1) !== 0) {
    throw new RangeError(`PCM16 buffer has an odd length (${pcm16.length} bytes)`);
  }
}

function encode(pcm16: Buffer, out: Buffer | undefined, table: Uint8Array, shift: number): Buffer {
  checkPcm(pcm16);
  const n = pcm16.length >> 1;
  const dst = outputBuffer(n, out);
  for (let i = 0, b = 0; i < n; i++, b += 2) {
    const u16 = (pcm16[b] ?? 0) | ((pcm16[b + 1] ?? 0) << 8);
    dst[i] = table[u16 >> shift] ?? 0;
  }
  return dst;
}

function decode(bytes: Buffer, out: Buffer | undefined, lo: Uint8Array, hi: Uint8Array): Buffer {
  const n = bytes.length;
  const dst = outputBuffer(n * 2, out);
  for (let i = 0, b = 0; i < n; i++, b += 2) {
    const code = bytes[i] ?? 0;
    dst[b] = lo[code] ?? 0;
    dst[b + 1] = hi[code] ?? 0;
  }
  return dst;
}

/**
 * PCM16LE → µ-law, one byte per sample. With `out`, writes into it (it must hold at least
 * `pcm16.length / 2` bytes) and returns the written prefix; otherwise allocates.
 */
export function mulawEncode(pcm16: Buffer, out?: Buffer): Buffer {
  return encode(pcm16, out, MULAW_ENCODE, 2);
}

/** µ-law → PCM16LE. With `out` (at least `2 * bytes.length` bytes), writes into it. */
export function mulawDecode(bytes: Buffer, out?: Buffer): Buffer {
  return decode(bytes, out, MULAW_DECODE_LO, MULAW_DECODE_HI);
}

/** PCM16LE → A-law (even bits inverted, as on the wire). See {@link mulawEncode} for `out`. */
export function alawEncode(pcm16: Buffer, out?: Buffer): Buffer {
  return encode(pcm16, out, ALAW_ENCODE, 3);
}

/** A-law → PCM16LE. With `out` (at least `2 * bytes.length` bytes), writes into it. */
export function alawDecode(bytes: Buffer, out?: Buffer): Buffer {
  return decode(bytes, out, ALAW_DECODE_LO, ALAW_DECODE_HI);
}

/** Single-sample µ-law encode (table lookup). */
export function mulawEncodeSample(sample: number): number {
  return MULAW_ENCODE[(sample & 0xffff) >> 2] ?? 0;
}

/** Single-sample µ-law decode. */
export function mulawDecodeSample(code: number): number {
  return (((MULAW_DECODE_HI[code & 0xff] ?? 0) << 24) >> 16) | (MULAW_DECODE_LO[code & 0xff] ?? 0);
}

/** Single-sample A-law encode (table lookup). */
export function alawEncodeSample(sample: number): number {
  return ALAW_ENCODE[(sample & 0xffff) >> 3] ?? 0;
}

/** Single-sample A-law decode. */
export function alawDecodeSample(code: number): number {
  return (((ALAW_DECODE_HI[code & 0xff] ?? 0) << 24) >> 16) | (ALAW_DECODE_LO[code & 0xff] ?? 0);
}

/** The reference (table-free) algorithms, exported for tests. */
export const g711Reference = {
  linearToMulaw: linearToMulawRef,
  mulawToLinear: mulawToLinearRef,
  linearToAlaw: linearToAlawRef,
  alawToLinear: alawToLinearRef,
} as const;
