import type { ServerEvent, ServerEventType } from '../frames/events.js';

type EventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;

/** Collects server events and lets a test wait for one, with a timeout (never a sleep). */
export class EventLog {
  readonly events: ServerEvent[] = [];
  readonly #waiters = new Set<{ test(e: ServerEvent): boolean; resolve(e: ServerEvent): void }>();

  push = (event: ServerEvent): void => {
    this.events.push(event);
    for (const w of this.#waiters) {
      if (w.test(event)) {
        this.#waiters.delete(w);
        w.resolve(event);
      }
    }
  };

  of<T extends ServerEventType>(type: T): EventOf<T>[] {
    return this.events.filter((e): e is EventOf<T> => e.type === type);
  }

  /** The n-th (1-based) event of a type, waiting for it if it has not come yet. */
  waitFor<T extends ServerEventType>(
    type: T,
    predicate: (e: EventOf<T>) => boolean = () => true,
    timeoutMs = 15_000,
    nth = 1,
  ): Promise<EventOf<T>> {
    const test = (e: ServerEvent): e is EventOf<T> => e.type === type && predicate(e as EventOf<T>);
    const seen = this.events.filter(test);
    if (seen.length >= nth) {
      return Promise.resolve(seen[nth - 1] as EventOf<T>);
    }
    let count = seen.length;
    return new Promise((resolve, reject) => {
      const waiter = {
        test: (e: ServerEvent) => test(e) && ++count >= nth,
        resolve: (e: ServerEvent) => {
          clearTimeout(timer);
          resolve(e as EventOf<T>);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type} #${nth}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}
