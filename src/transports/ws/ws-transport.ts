import type { WebSocket } from 'ws';
import type { ServerEvent } from '../../frames/events.js';
import type { OutputFrame } from '../../frames/frames.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SessionTransport } from '../ports.js';
import { FLAG_REPLY_START, encodeFrame } from './wire.js';
import { nowMs } from '../../core/clock.js';

export interface WsBackpressurePolicy {
  /** Above this many buffered bytes, reply audio frames are dropped (counted). */
  dropAudioAboveBytes: number;
  /** Above this many buffered bytes (or slow for longer than maxSlowMs), the session is closed 4008. */
  closeAboveBytes: number;
  /** How long the client may stay above the drop threshold before it is closed. */
  maxSlowMs: number;
}

export const DEFAULT_WS_BACKPRESSURE: WsBackpressurePolicy = {
  dropAudioAboveBytes: 64 * 1024,
  closeAboveBytes: 1024 * 1024,
  maxSlowMs: 5_000,
};

/**
 * Protocol v1 over one WebSocket. Reply audio goes out as binary frames; when the
 * client stops reading, audio is dropped above `dropAudioAboveBytes` (counted in
 * relay_frames_dropped_total{reason="client_slow"}) and the session is closed with
 * 4008 once the backlog passes `closeAboveBytes` or stays high for `maxSlowMs`.
 * Server memory per session is therefore bounded by `closeAboveBytes`.
 */
export class WsTransport implements SessionTransport {
  readonly kind = 'ws';
  readonly #ws: WebSocket;
  readonly #policy: WsBackpressurePolicy;
  readonly #dropped;
  readonly #onSlow: () => void;
  #lastTurn = '';
  #slowSinceMs = 0;
  #closed = false;

  constructor(ws: WebSocket, metrics: Metrics, policy: WsBackpressurePolicy, onSlow: () => void) {
    this.#ws = ws;
    this.#policy = policy;
    this.#dropped = metrics.framesDropped.labels('client_slow');
    this.#onSlow = onSlow;
  }

  sendEvent(event: ServerEvent): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) {
      return;
    }
    if (this.#ws.bufferedAmount > this.#policy.closeAboveBytes) {
      this.#onSlow();
      return;
    }
    this.#ws.send(JSON.stringify(event));
  }

  sendAudio(frame: OutputFrame): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) {
      return;
    }
    const buffered = this.#ws.bufferedAmount;
    if (buffered > this.#policy.dropAudioAboveBytes) {
      this.#dropped.inc();
      const now = nowMs();
      if (this.#slowSinceMs === 0) {
        this.#slowSinceMs = now;
      }
      if (
        buffered > this.#policy.closeAboveBytes ||
        now - this.#slowSinceMs > this.#policy.maxSlowMs
      ) {
        this.#onSlow();
      }
      return;
    }
    this.#slowSinceMs = 0;
    let flags = 0;
    if (frame.turnId !== this.#lastTurn) {
      this.#lastTurn = frame.turnId;
      flags |= FLAG_REPLY_START;
    }
    this.#ws.send(encodeFrame(frame.seq, frame.turnAudioEndMs - 20, flags, frame.payload), {
      binary: true,
    });
  }

  /** Slow-consumer check once a second: the backlog stayed high for too long. */
  poll(nowMs: number): void {
    if (this.#closed) {
      return;
    }
    if (this.#ws.bufferedAmount <= this.#policy.dropAudioAboveBytes) {
      this.#slowSinceMs = 0;
      return;
    }
    if (this.#slowSinceMs === 0) {
      this.#slowSinceMs = nowMs;
    } else if (nowMs - this.#slowSinceMs > this.#policy.maxSlowMs) {
      this.#onSlow();
    }
  }

  close(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#ws.close(code, reason.slice(0, 120));
  }
}
