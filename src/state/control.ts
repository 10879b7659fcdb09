import { decodeControlMessage } from './records.js';
import type { ControlHandler, StateStoreStats } from './types.js';

export function emptyStats(): StateStoreStats {
  return { controlDelivered: 0, controlInvalid: 0, controlHandlerErrors: 0, corruptRecords: 0 };
}

/**
 * Handlers per control channel, shared by both stores: validates raw messages
 * (invalid ones are counted and dropped), gives each handler its own copy, and
 * counts handler failures instead of letting them escape.
 */
export class ControlDispatcher {
  readonly #channels = new Map<string, Set<ControlHandler>>();
  readonly #stats: StateStoreStats;

  constructor(stats: StateStoreStats) {
    this.#stats = stats;
  }

  /** Returns true when this is the channel's first handler (subscribe now). */
  add(channel: string, handler: ControlHandler): boolean {
    let handlers = this.#channels.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#channels.set(channel, handlers);
    }
    handlers.add(handler);
    return handlers.size === 1;
  }

  /** Returns true when the channel has no handler left (unsubscribe now). */
  remove(channel: string, handler: ControlHandler): boolean {
    const handlers = this.#channels.get(channel);
    if (handlers === undefined || !handlers.delete(handler)) {
      return false;
    }
    if (handlers.size === 0) {
      this.#channels.delete(channel);
      return true;
    }
    return false;
  }

  channels(): string[] {
    return [...this.#channels.keys()];
  }

  clear(): void {
    this.#channels.clear();
  }

  dispatch(channel: string, raw: string): void {
    const handlers = this.#channels.get(channel);
    if (handlers === undefined || handlers.size === 0) {
      return;
    }
    const message = decodeControlMessage(raw);
    if (message === undefined) {
      this.#stats.controlInvalid++;
      return;
    }
    for (const handler of [...handlers]) {
      this.#stats.controlDelivered++;
      try {
        const result = handler(structuredClone(message));
        if (result instanceof Promise) {
          result.catch(() => {
            this.#stats.controlHandlerErrors++;
          });
        }
      } catch {
        this.#stats.controlHandlerErrors++;
      }
    }
  }
}
