import type { Redis } from 'ioredis';
import { ControlDispatcher } from './control.js';
import type { ControlHandler, StateStoreStats } from './types.js';

export const noop = (): void => undefined;

/** QUIT when connected, else drop the socket (also ends reconnect attempts). */
export async function shutdown(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect();
}

/**
 * The control-bus side of RedisStateStore: one dedicated subscriber connection
 * (created on first use, duplicated from the command connection), one SUBSCRIBE
 * per channel however many handlers, resubscribed by ioredis after reconnects.
 */
export class RedisControlSubscriber {
  readonly #source: Redis;
  readonly #connectionName: string;
  readonly #dispatcher: ControlDispatcher;
  readonly #subscriptions = new Map<string, Promise<unknown>>();
  #connection: Redis | undefined;

  constructor(source: Redis, connectionName: string, stats: StateStoreStats) {
    this.#source = source;
    this.#connectionName = connectionName;
    this.#dispatcher = new ControlDispatcher(stats);
  }

  #subscriber(): Redis {
    if (this.#connection === undefined) {
      const sub = this.#source.duplicate({ connectionName: this.#connectionName });
      sub.on('error', noop);
      sub.on('message', (channel: string, raw: string) => {
        this.#dispatcher.dispatch(channel, raw);
      });
      this.#connection = sub;
    }
    return this.#connection;
  }

  /** Resolves once the channel is subscribed on the server. */
  async subscribe(channel: string, handler: ControlHandler): Promise<void> {
    if (this.#dispatcher.add(channel, handler)) {
      this.#subscriptions.set(channel, this.#subscriber().subscribe(channel));
    }
    try {
      await this.#subscriptions.get(channel);
    } catch (err) {
      if (this.#dispatcher.remove(channel, handler)) {
        this.#subscriptions.delete(channel);
      }
      throw err;
    }
  }

  async unsubscribe(channel: string, handler: ControlHandler): Promise<void> {
    if (this.#dispatcher.remove(channel, handler)) {
      this.#subscriptions.delete(channel);
      await this.#subscriber().unsubscribe(channel);
    }
  }

  async close(): Promise<void> {
    this.#dispatcher.clear();
    this.#subscriptions.clear();
    if (this.#connection !== undefined) {
      await shutdown(this.#connection);
    }
  }
}
