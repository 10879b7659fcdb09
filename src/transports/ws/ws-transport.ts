import { Socket } from 'node:net';
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
 *
 * Everything the session sends during one synchronous run (a ticker pass, one socket read,
 * one STT response) leaves in one socket write: the socket is corked at the first send and
 * uncorked on the next tick, so an event and an audio frame of the same tick, or a burst of
 * frames, cost one syscall instead of one each. Nothing waits longer than the current run.
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
  /** The TCP socket under the WebSocket (undefined if ws ever stops exposing it). */
  readonly #socket: Socket | undefined;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket?.uncork();
  };

  constructor(ws: WebSocket, metrics: Metrics, policy: WsBackpressurePolicy, onSlow: () => void) {
    this.#ws = ws;
    // ws keeps its socket in a private field; checked here, so a change only loses the batching.
    const socket: unknown = Reflect.get(ws, '_socket');
    this.#socket = socket instanceof Socket ? socket : undefined;
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
      this.#hold();
      this.#ws.send(JSON.stringify(event));
    }
  }

  /** Cork the socket until the end of this run (see the class comment). */
  #hold(): void {
    if (!this.#corked && this.#socket !== undefined) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
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
    this.#hold();
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
