import type { WebSocket } from 'ws';
import type { ServerEvent } from '../../frames/events.js';
import type { OutputFrame } from '../../frames/frames.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SessionTransport } from '../ports.js';
import { FLAG_REPLY_START, encodeFrame } from './wire.js';
import { holdDelta, releaseDelta, type DeltaHolder } from './delta-coalescer.js';
import { nowMs } from '../../core/clock.js';
import { SlowConsumerGuard, type SlowConsumerPolicy } from '../../core/slow-consumer.js';

/** The WebSocket's slow-consumer thresholds (the relay's one slow-consumer policy). */
export type WsBackpressurePolicy = SlowConsumerPolicy;

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
 *
 * `response.text.delta` events of one turn are coalesced: their text is held (at most one
 * 20 ms tick, see `delta-coalescer.ts`) and sent as one delta, before any other event or
 * audio frame of the session, so the order of everything the client sees is unchanged and
 * the deltas still concatenate to the reply text.
 */
export class WsTransport implements SessionTransport, DeltaHolder {
  readonly kind = 'ws';
  readonly #ws: WebSocket;
  readonly #guard: SlowConsumerGuard;
  readonly #dropped;
  #lastTurn = '';
  #closed = false;
  #deltaTurn = '';
  #deltaText = '';

  constructor(ws: WebSocket, metrics: Metrics, policy: WsBackpressurePolicy, onSlow: () => void) {
    this.#ws = ws;
    this.#guard = new SlowConsumerGuard(policy, onSlow);
    this.#dropped = metrics.framesDropped.labels('client_slow');
  }

  sendEvent(event: ServerEvent): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) {
      return;
    }
    if (event.type === 'response.text.delta') {
      if (this.#deltaText !== '' && this.#deltaTurn === event.turnId) {
        this.#deltaText += event.text;
        return;
      }
      this.flushDelta();
      this.#deltaTurn = event.turnId;
      this.#deltaText = event.text;
      holdDelta(this);
      return;
    }
    this.flushDelta();
    this.#sendJson(event);
  }

  /** Send the text held for `response.text.delta`, if any. */
  flushDelta(): void {
    if (this.#deltaText === '') {
      return;
    }
    const text = this.#deltaText;
    this.#deltaText = '';
    releaseDelta(this);
    if (!this.#closed && this.#ws.readyState === this.#ws.OPEN) {
      this.#sendJson({ type: 'response.text.delta', turnId: this.#deltaTurn, text });
    }
  }

  #sendJson(event: ServerEvent): void {
    if (this.#guard.event(this.#ws.bufferedAmount)) {
      this.#ws.send(JSON.stringify(event));
    }
  }

  sendAudio(frame: OutputFrame): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) {
      return;
    }
    this.flushDelta();
    if (!this.#guard.audio(this.#ws.bufferedAmount, nowMs())) {
      this.#dropped.inc();
      return;
    }
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
    if (!this.#closed) {
      this.#guard.poll(this.#ws.bufferedAmount, nowMs);
    }
  }

  close(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    this.flushDelta();
    this.#closed = true;
    this.#ws.close(code, reason.slice(0, 120));
  }
}
