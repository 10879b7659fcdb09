/** Absolute deadlines in relay-clock ms (epoch based). */
export type DeadlineMs = number;

export function minDeadline(...deadlines: (DeadlineMs | undefined)[]): DeadlineMs {
  let min = Infinity;
  for (const d of deadlines) {
    if (d !== undefined && d < min) {
      min = d;
    }
  }
  return min;
}

/** A Date for gRPC call options; gRPC-js counts deadlines against Date.now(). */
export function toGrpcDeadline(deadlineMs: DeadlineMs): Date | number {
  return Number.isFinite(deadlineMs) ? new Date(deadlineMs) : Infinity;
}
