import {
  connectivityState,
  InterceptingCall,
  type Client,
  type ClientOptions,
  type Interceptor,
} from '@grpc/grpc-js';

/** Builds one client of a pool with the given options (interceptors included). */
export type PooledClientFactory<C extends Client> = (options: ClientOptions) => C;

interface Slot<C extends Client> {
  readonly client: C;
  /** Calls started on this channel whose status has not arrived yet. */
  active: number;
}

/**
 * A fixed set of gRPC channels to one stage endpoint, each on its own HTTP/2 connection,
 * so that one connection's failure (a GOAWAY, a reset, a dead peer) touches only the
 * streams it carries, and stream resets and flow control are spread over several
 * connections. A new call goes to the channel with the fewest calls in flight, skipping
 * channels whose connection is failing while another one is usable; ties rotate.
 */
export class ChannelPool<C extends Client> {
  readonly #slots: Slot<C>[] = [];
  #cursor = 0;

  constructor(size: number, options: ClientOptions, create: PooledClientFactory<C>) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`a channel pool needs at least one channel (got ${size})`);
    }
    for (let i = 0; i < size; i++) {
      const slot: { client: C | undefined; active: number } = { client: undefined, active: 0 };
      const client = create({
        ...options,
        // A subchannel pool per channel: grpc-js would otherwise share one connection
        // between channels with equal options.
        'grpc.use_local_subchannel_pool': 1,
        interceptors: [...(options.interceptors ?? []), countCalls(slot)],
      });
      slot.client = client;
      this.#slots.push(slot as Slot<C>);
    }
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Calls in flight per channel (for tests and diagnostics). */
  get activeCalls(): number[] {
    return this.#slots.map((s) => s.active);
  }

  /** The client for a new call. */
  pick(): C {
    const n = this.#slots.length;
    let best: Slot<C> | undefined;
    let bestFailing = true;
    let bestIndex = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      const slot = this.#slots[i] as Slot<C>;
      const failing = isFailing(slot.client);
      const better =
        best === undefined ||
        (bestFailing && !failing) ||
        (bestFailing === failing && slot.active < best.active);
      if (better) {
        best = slot;
        bestFailing = failing;
        bestIndex = i;
      }
    }
    this.#cursor = (bestIndex + 1) % n;
    return (best as Slot<C>).client;
  }

  close(): void {
    for (const s of this.#slots) {
      s.client.close();
    }
  }
}

function isFailing(client: Client): boolean {
  const state = client.getChannel().getConnectivityState(false);
  return state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN;
}

/** An interceptor keeping `slot.active` = the calls started whose status is still due. */
function countCalls(slot: { active: number }): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        slot.active++;
        let done = false;
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            if (!done) {
              done = true;
              slot.active--;
            }
            nextStatus(status);
          },
        });
      },
    });
}
