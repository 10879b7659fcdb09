/**
 * A 64-bit hrtime stamp inside a frame's PCM16 payload. To the relay it is just audio;
 * each byte is carried in the low byte of its own 16-bit sample, so a stamped frame
 * stays at about -64 dBFS and never trips a VAD (a raw u64 in the first 8 bytes would
 * read as a click at about -25 dBFS and start "speech").
 *
 *   samples 0..7   hrtime ns (u64, big-endian byte order)
 *   samples 8..9   round id (u16)
 *   samples 10..11 stream index (u16)
 *   sample  12     flags: 1 = inside the measurement window
 *   sample  13     magic 0x5A
 */
export const STAMP_SAMPLES = 14;
const MAGIC = 0x5a;
const scratch = Buffer.alloc(8);

export interface Stamp {
  ns: bigint;
  round: number;
  stream: number;
  measured: boolean;
}

function put(payload: Buffer, sample: number, byte: number): void {
  payload[sample * 2] = byte & 0xff;
  payload[sample * 2 + 1] = 0;
}

/** Write the stamp into the first STAMP_SAMPLES samples; the rest of `payload` is untouched. */
export function writeStamp(
  payload: Buffer,
  ns: bigint,
  round: number,
  stream: number,
  measured: boolean,
): void {
  scratch.writeBigUInt64BE(ns);
  for (let i = 0; i < 8; i++) {
    put(payload, i, scratch[i]!);
  }
  put(payload, 8, round >> 8);
  put(payload, 9, round);
  put(payload, 10, stream >> 8);
  put(payload, 11, stream);
  put(payload, 12, measured ? 1 : 0);
  put(payload, 13, MAGIC);
}

/** The stamp of a payload, or undefined when it carries none (e.g. a concealed frame). */
export function readStamp(payload: Uint8Array): Stamp | undefined {
  if (payload.length < STAMP_SAMPLES * 2 || payload[26] !== MAGIC || payload[27] !== 0) {
    return undefined;
  }
  for (let i = 0; i < 8; i++) {
    scratch[i] = payload[i * 2]!;
  }
  return {
    ns: scratch.readBigUInt64BE(),
    round: (payload[16]! << 8) | payload[18]!,
    stream: (payload[20]! << 8) | payload[22]!,
    measured: payload[24] === 1,
  };
}
