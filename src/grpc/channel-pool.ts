import {
  Channel,
  connectivityState,
  InterceptingCall,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientOptions,
  type Interceptor,
} from '@grpc/grpc-js';

/** A generated client constructor (e.g. `stageProtos().SpeechToText`). */
export type ClientConstructor<C extends Client> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: ClientOptions,
) => C;

interface Slot {
  readonly channel: Channel;
  /** One client per service, all on this slot's channel. */
  readonly clients: Map<ClientConstructor<Client>, Client>;
  /** Calls started on this channel whose status has not arrived yet. */
  active: number;
}

/** READY first, then a connection under way, then an idle channel, failing ones last. */
function rank(channel: Channel): number {
  switch (channel.getConnectivityState(false)) {
    case connectivityState.READY:
      return 0;
    case connectivityState.CONNECTING:
      return 1;
    case connectivityState.IDLE:
      return 2;
    default:
      return 3;
  }
}

/**
 * A fixed set of gRPC channels to one target, each on its own HTTP/2 connection, shared
 * by every service called on that target, so that one connection's failure (a GOAWAY, a
 * reset, a dead peer) touches only the streams it carries, and stream resets and flow
 * control are spread over several connections. A new call goes to the ready channel with
 * the fewest calls in flight (ties rotate); with none ready, to the connection started
 * first, then an idle channel, a failing one last. The first channel connects when the pool is made, each call
 * starts the connection of one idle channel, so the pool opens its connections one by one
 * as it is used (a cold start does not wait on several handshakes at once) and a channel
 * whose connection dropped reconnects in the background.
 */
export class ChannelPool {
  readonly #target: string;
  readonly #credentials: ChannelCredentials;
  readonly #slots: Slot[] = [];
  #cursor = 0;

  constructor(
    target: string,
    credentials: ChannelCredentials,
    size: number,
    options: ChannelOptions,
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`a channel pool needs at least one channel (got ${size})`);
    }
    this.#target = target;
    this.#credentials = credentials;
    for (let i = 0; i < size; i++) {
      // A subchannel pool per channel: grpc-js would otherwise share one connection
      // between channels with equal options.
      const channel = new Channel(target, credentials, {
        ...options,
        'grpc.use_local_subchannel_pool': 1,
      });
      channel.getConnectivityState(i === 0);
      this.#slots.push({ channel, clients: new Map(), active: 0 });
    }
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Calls in flight per channel (for tests and diagnostics). */
  get activeCalls(): number[] {
    return this.#slots.map((s) => s.active);
  }

  /** Start connecting every idle channel (e.g. before the first calls). */
  connect(): void {
    for (const s of this.#slots) {
      s.channel.getConnectivityState(true);
    }
  }

  /** Channels whose connection is up. */
  get ready(): number {
    return this.#slots.filter((s) => rank(s.channel) === 0).length;
  }

  /** The client of service `ctor` on the channel a new call should use. */
  pick<C extends Client>(ctor: ClientConstructor<C>): C {
    const slot = this.#pickSlot();
    let client = slot.clients.get(ctor);
    if (client === undefined) {
      client = new ctor(this.#target, this.#credentials, {
        channelOverride: slot.channel,
        interceptors: [countCalls(slot)],
      });
      slot.clients.set(ctor, client);
    }
    return client as C;
  }

  close(): void {
    for (const s of this.#slots) {
      s.channel.close();
    }
  }

  #pickSlot(): Slot {
    const n = this.#slots.length;
    let best: Slot | undefined;
    let bestRank = 4;
    let bestIndex = 0;
    let idle: Slot | undefined;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      const slot = this.#slots[i] as Slot;
      const r = rank(slot.channel);
      if (r === 2) {
        idle ??= slot;
      }
      // Ready channels share the load; otherwise the connection started first (the lowest
      // index) is the one most likely to be up soonest.
      const better =
        best === undefined ||
        r < bestRank ||
        (r === bestRank && (r === 0 ? slot.active < best.active : i < bestIndex));
      if (better) {
        best = slot;
        bestRank = r;
        bestIndex = i;
      }
    }
    this.#cursor = (bestIndex + 1) % n;
    if (idle !== undefined && idle !== best) {
      idle.channel.getConnectivityState(true);
    }
    return best as Slot;
  }
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
