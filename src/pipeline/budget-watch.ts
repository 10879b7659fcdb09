import type { StageName } from '../frames/events.js';
import { nowMs } from '../core/clock.js';

export type BudgetExpired = (stage: StageName, budgetMs: number, elapsedMs: number) => void;

/**
 * First-response budgets of one turn or stream, one timer per armed stage (not per
 * frame). `arm` counts from `startMs`, so a budget measured from speech end stays
 * exact however late the timer is armed.
 */
export class BudgetWatch {
  readonly #onExpire: BudgetExpired;
  readonly #timers = new Map<StageName, NodeJS.Timeout>();
  #closed = false;

  constructor(onExpire: BudgetExpired) {
    this.#onExpire = onExpire;
  }

  get armed(): number {
    return this.#timers.size;
  }

  arm(stage: StageName, budgetMs: number, startMs: number): void {
    if (this.#closed) {
      return;
    }
    this.disarm(stage);
    this.#schedule(stage, budgetMs, startMs);
  }

  #schedule(stage: StageName, budgetMs: number, startMs: number): void {
    const delayMs = Math.max(0, startMs + budgetMs - nowMs());
    const timer = setTimeout(() => {
      // Timers may fire a fraction of a ms early against the monotonic clock.
      if (nowMs() < startMs + budgetMs) {
        this.#schedule(stage, budgetMs, startMs);
        return;
      }
      this.#timers.delete(stage);
      this.#onExpire(stage, budgetMs, nowMs() - startMs);
    }, Math.ceil(delayMs));
    timer.unref();
    this.#timers.set(stage, timer);
  }

  disarm(stage: StageName): void {
    const t = this.#timers.get(stage);
    if (t !== undefined) {
      clearTimeout(t);
      this.#timers.delete(stage);
    }
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers.values()) {
      clearTimeout(t);
    }
    this.#timers.clear();
  }
}
