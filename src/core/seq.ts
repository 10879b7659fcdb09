/** Sequence arithmetic on u32 (and u16) counters that wrap around. */

const U32 = 0x1_0000_0000;
const HALF_U32 = 0x8000_0000;

/** Signed distance b - a on the u32 circle, in (-2^31, 2^31]. */
export function seqDiff32(a: number, b: number): number {
  const d = (b - a + U32) % U32;
  return d > HALF_U32 ? d - U32 : d;
}

export function seqNext32(a: number, n = 1): number {
  return (a + n + U32) % U32;
}

/** True when a comes strictly before b (wraparound-safe). */
export function seqLess32(a: number, b: number): boolean {
  return seqDiff32(a, b) > 0;
}

const U16 = 0x1_0000;
const HALF_U16 = 0x8000;

export function seqDiff16(a: number, b: number): number {
  const d = (b - a + U16) % U16;
  return d > HALF_U16 ? d - U16 : d;
}
