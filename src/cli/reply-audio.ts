import { FRAME_MS } from '../frames/frames.js';
import type { OutputFrame } from '../frames/frames.js';

/**
 * Lay reply frames on the timeline they were sent on, with silence between replies,
 * so the file sounds like what the client played.
 */
export function placeFrames(frames: readonly OutputFrame[], sampleRateHz: number): Buffer {
  if (frames.length === 0) {
    return Buffer.alloc(0);
  }
  const bytesPerMs = (sampleRateHz * 2) / 1000;
  const t0 = frames[0]?.sentTsMs ?? 0;
  const parts: Buffer[] = [];
  let cursorMs = 0;
  for (const f of frames) {
    const atMs = Math.max(cursorMs, f.sentTsMs - t0);
    const gap = Math.round((atMs - cursorMs) / FRAME_MS) * FRAME_MS;
    if (gap > 0) {
      parts.push(Buffer.alloc(gap * bytesPerMs));
    }
    parts.push(f.payload);
    cursorMs += gap + FRAME_MS;
  }
  return Buffer.concat(parts);
}
