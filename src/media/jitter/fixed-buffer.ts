import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.js';

/**
 * Fixed-delay buffer for comparison: the same core and interface as {@link JitterBuffer},
 * with the target delay pinned to `delayMs` (same meaning as the adaptive target: it
 * includes one pull period and is measured from the fastest frame's transit, which is still
 * tracked, so the schedule does not depend on how late the first frame happened to be).
 */
export class FixedBuffer<T = unknown> extends JitterBuffer<T> {
  readonly delayMs: number;

  constructor(delayMs: number, options: Omit<JitterBufferOptions, 'fixedDelayMs'> = {}) {
    super({ ...options, fixedDelayMs: delayMs });
    this.delayMs = delayMs;
  }
}
