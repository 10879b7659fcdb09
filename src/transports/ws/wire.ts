/**
 * Protocol v1 binary frames: a 12-byte big-endian header, then the audio payload.
 *
 *   offset 0  u32 seq        frame sequence number, wraps at 2^32
 *   offset 4  u32 timestamp  capture time in ms on the sender's clock, wraps at 2^32
 *   offset 8  u16 flags      FLAG_* below; unknown bits must be 0
 *   offset 10 u16 reserved   0
 *   offset 12 payload        20 ms of audio in the session's codec
 */
export const HEADER_BYTES = 12;

/** Server → client: first frame of a reply. */
export const FLAG_REPLY_START = 0x0001;
/** Server → client: last frame of a reply. */
export const FLAG_REPLY_END = 0x0002;
const KNOWN_FLAGS = FLAG_REPLY_START | FLAG_REPLY_END;

export interface WireFrame {
  seq: number;
  timestampMs: number;
  flags: number;
  payload: Buffer;
}

export type DecodeResult = WireFrame | { error: string };

/** Decode without copying: the payload is a view of `data`. */
export function decodeFrame(data: Buffer): DecodeResult {
  if (data.length < HEADER_BYTES) {
    return { error: `frame shorter than the ${HEADER_BYTES}-byte header` };
  }
  const flags = data.readUInt16BE(8);
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    return { error: `unknown frame flags 0x${flags.toString(16)}` };
  }
  return {
    seq: data.readUInt32BE(0),
    timestampMs: data.readUInt32BE(4),
    flags,
    payload: data.subarray(HEADER_BYTES),
  };
}

/**
 * Client → server frames carry no flags (the FLAG_* bits are server → client) and a
 * zero reserved field: true when a frame at least a header long breaks that.
 */
export function reservedBitsSet(data: Buffer): boolean {
  return data.length >= HEADER_BYTES && (data.readUInt16BE(8) !== 0 || data.readUInt16BE(10) !== 0);
}

/** Encode header + payload into one buffer (one allocation per frame). */
export function encodeFrame(
  seq: number,
  timestampMs: number,
  flags: number,
  payload: Buffer,
): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32BE(seq >>> 0, 0);
  out.writeUInt32BE(Math.floor(timestampMs) >>> 0, 4);
  out.writeUInt16BE(flags, 8);
  out.writeUInt16BE(0, 10);
  payload.copy(out, HEADER_BYTES);
  return out;
}
