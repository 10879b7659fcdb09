/** Something holding coalesced text to send: flushed by the shared timer at the latest. */
export interface DeltaHolder {
  flushDelta(): void;
}

/** The longest a text delta waits for more text (one 20 ms pacing tick). */
export const DELTA_WINDOW_MS = 20;

const holders = new Set<DeltaHolder>();
let timer: NodeJS.Timeout | undefined;

function flushAll(): void {
  timer = undefined;
  const due = [...holders];
  holders.clear();
  for (const h of due) {
    h.flushDelta();
  }
}

/**
 * `response.text.delta` events are coalesced per session (one WebSocket message per tick
 * instead of one per LLM token): a holder registers here when it starts holding text, and
 * one process-wide timer (never one per session) flushes every holder within
 * `DELTA_WINDOW_MS`. A holder flushes earlier by itself before anything else it sends.
 */
export function holdDelta(holder: DeltaHolder): void {
  holders.add(holder);
  if (timer === undefined) {
    timer = setTimeout(flushAll, DELTA_WINDOW_MS);
    timer.unref();
  }
}

/** The holder flushed or closed by itself. */
export function releaseDelta(holder: DeltaHolder): void {
  holders.delete(holder);
}
