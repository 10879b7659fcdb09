import type { Ticker } from './ticker.js';

/** A WebSocket as the heartbeat sees it (the `ws` library's WebSocket fits). */
export interface HeartbeatPeer {
  readonly readyState: number;
  readonly OPEN: number;
  ping(): void;
  terminate(): void;
  on(event: 'pong', listener: () => void): unknown;
}

interface Watched {
  alive: boolean;
  onMissed: (() => void) | undefined;
}

/**
 * The WebSocket heartbeat of every WS-based transport, driven by the relay's shared ticker
 * (no timer of its own): every `intervalMs` each open peer is pinged; a peer that did not
 * answer the previous ping is not reading its socket (or is gone). With `onMissed` the
 * session is ended through it, once — the close handshake then has the WebSocket's own close
 * timeout, so a client that reads again still hears `session.closing` and 4008 in order;
 * without one the socket is terminated.
 */
export class Heartbeat {
  readonly #intervalMs: number;
  readonly #ticker: Ticker;
  readonly #peers = new Map<HeartbeatPeer, Watched>();
  #unsubscribe: (() => void) | undefined;
  #lastBeatMs = 0;

  constructor(intervalMs: number, ticker: Ticker) {
    if (!(intervalMs > 0)) {
      throw new RangeError('heartbeat intervalMs must be > 0');
    }
    this.#intervalMs = intervalMs;
    this.#ticker = ticker;
  }

  get size(): number {
    return this.#peers.size;
  }

  watch(peer: HeartbeatPeer, onMissed?: () => void): void {
    const w: Watched = { alive: true, onMissed };
    this.#peers.set(peer, w);
    peer.on('pong', () => {
      w.alive = true;
    });
    if (this.#unsubscribe === undefined) {
      this.#lastBeatMs = 0;
      this.#unsubscribe = this.#ticker.subscribe(this.#tick);
    }
  }

  forget(peer: HeartbeatPeer): void {
    this.#peers.delete(peer);
    if (this.#peers.size === 0) {
      this.stop();
    }
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  readonly #tick = (nowMs: number): void => {
    if (this.#lastBeatMs === 0) {
      this.#lastBeatMs = nowMs;
      return;
    }
    if (nowMs - this.#lastBeatMs < this.#intervalMs) {
      return;
    }
    this.#lastBeatMs = nowMs;
    for (const [peer, w] of this.#peers) {
      if (peer.readyState !== peer.OPEN) {
        continue; // closing (after a missed heartbeat or otherwise)
      }
      if (!w.alive) {
        this.#peers.delete(peer);
        if (w.onMissed === undefined) {
          peer.terminate();
        } else {
          w.onMissed();
        }
        continue;
      }
      w.alive = false;
      peer.ping();
    }
  };
}
