/** How much a peer may leave unread before the relay sheds load, then gives up on it. */
export interface SlowConsumerPolicy {
  /** Above this many buffered bytes, reply audio is dropped (counted). */
  dropAudioAboveBytes: number;
  /** Above this many buffered bytes (or slow for longer than maxSlowMs), the peer is closed 4008. */
  closeAboveBytes: number;
  /** How long the peer may stay above the drop threshold before it is closed. */
  maxSlowMs: number;
}

/**
 * The slow-consumer policy of every transport: given the bytes a peer has not read yet,
 * reply audio is dropped above `dropAudioAboveBytes`, control events still go out, and the
 * peer is declared slow (`onSlow`, the session then ends with 4008) once the backlog passes
 * `closeAboveBytes` or stays above the drop threshold for `maxSlowMs`. The caller checks
 * before each send and about once a second (`poll`), so per-peer memory stays bounded by
 * `closeAboveBytes`.
 */
export class SlowConsumerGuard {
  readonly #p: SlowConsumerPolicy;
  readonly #onSlow: () => void;
  #slowSinceMs = 0;

  constructor(policy: SlowConsumerPolicy, onSlow: () => void) {
    this.#p = policy;
    this.#onSlow = onSlow;
  }

  /** Before a control event: false (and slow) only above the close threshold. */
  event(bufferedBytes: number): boolean {
    if (bufferedBytes > this.#p.closeAboveBytes) {
      this.#onSlow();
      return false;
    }
    return true;
  }

  /** Before a reply audio frame: false when it must be dropped (the caller counts it). */
  audio(bufferedBytes: number, nowMs: number): boolean {
    if (bufferedBytes <= this.#p.dropAudioAboveBytes) {
      this.#slowSinceMs = 0;
      return true;
    }
    if (this.#slowSinceMs === 0) {
      this.#slowSinceMs = nowMs;
    }
    if (bufferedBytes > this.#p.closeAboveBytes || nowMs - this.#slowSinceMs > this.#p.maxSlowMs) {
      this.#onSlow();
    }
    return false;
  }

  /** About once a second: a backlog that stayed high for too long (no sends needed). */
  poll(bufferedBytes: number, nowMs: number): void {
    if (bufferedBytes <= this.#p.dropAudioAboveBytes) {
      this.#slowSinceMs = 0;
    } else if (this.#slowSinceMs === 0) {
      this.#slowSinceMs = nowMs;
    } else if (nowMs - this.#slowSinceMs > this.#p.maxSlowMs) {
      this.#onSlow();
    }
  }
}
