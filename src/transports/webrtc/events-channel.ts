import type { Logger } from 'pino';
import type { RTCDataChannel } from 'werift';
import { nowMs } from '../../core/clock.js';
import { MessageRateLimiter } from '../../core/rate-limit.js';
import { SlowConsumerGuard } from '../../core/slow-consumer.js';
import { parseClientEvent } from '../../frames/client-events.js';
import type { ServerEvent } from '../../frames/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SessionHandle } from '../ports.js';

/** Label of the data channel that carries protocol v1 JSON events both ways. */
export const EVENTS_CHANNEL = 'events';

export interface EventsChannelLimits {
  /** Events queued until the channel opens; beyond this the session ends 4008. */
  maxQueuedEvents: number;
  /** Send backlog at which the session ends 4008. */
  maxEventBufferBytes: number;
  maxEventBytes: number;
  maxEventsPerSecond: number;
}

export interface EventsChannelDeps {
  limits: EventsChannelLimits;
  metrics: Metrics;
  logger: Logger;
  /** The session the client events go to (undefined before attach or after close). */
  session(): SessionHandle | undefined;
  /** The client does not read (4008). */
  onSlow(reason: string): void;
  /** Keep a werift unsubscribe for the peer's release. */
  track(unsubscribe: () => void): void;
  /** The channel closed from the client side. */
  onClosed(): void;
}

/**
 * The `events` data channel of one peer: server events out (queued until it opens, checked
 * against the relay's slow-consumer policy), client events in (the relay-wide message rate
 * policy, size limit, protocol v1 validation) to the session.
 */
export class EventsChannel {
  readonly #d: EventsChannelDeps;
  readonly #rate: MessageRateLimiter;
  readonly #slow: SlowConsumerGuard;
  readonly #rateDropped;
  #dc: RTCDataChannel | undefined;
  #pending: string[] = [];

  constructor(d: EventsChannelDeps) {
    this.#d = d;
    this.#rate = new MessageRateLimiter(d.limits.maxEventsPerSecond, nowMs());
    // Reply audio goes over RTP (never queued here): only this channel can back up.
    this.#slow = new SlowConsumerGuard(
      {
        dropAudioAboveBytes: d.limits.maxEventBufferBytes,
        closeAboveBytes: d.limits.maxEventBufferBytes,
        maxSlowMs: Infinity,
      },
      () => d.onSlow('client too slow to read events'),
    );
    this.#rateDropped = d.metrics.framesDropped.labels('rate_limited');
  }

  get open(): boolean {
    return this.#dc?.readyState === 'open';
  }

  /** Takes the client's channel if it is the events channel and none is taken yet. */
  adopt(dc: RTCDataChannel): boolean {
    if (dc.label !== EVENTS_CHANNEL || this.#dc !== undefined) {
      return false;
    }
    this.#dc = dc;
    this.#d.track(
      dc.stateChanged.subscribe((state) => {
        if (state === 'open') {
          this.#flush();
        } else if (state === 'closed') {
          this.#d.onClosed();
        }
      }).unSubscribe,
    );
    this.#d.track(dc.onMessage.subscribe((data) => this.#onMessage(data)).unSubscribe);
    if (dc.readyState === 'open') {
      this.#flush();
    }
    return true;
  }

  send(event: ServerEvent): void {
    const text = JSON.stringify(event);
    const dc = this.#dc;
    if (dc === undefined || dc.readyState !== 'open') {
      if (this.#pending.length >= this.#d.limits.maxQueuedEvents) {
        this.#d.onSlow('events channel never opened');
        return;
      }
      this.#pending.push(text);
      return;
    }
    if (!this.#slow.event(dc.bufferedAmount)) {
      return;
    }
    try {
      dc.send(text);
    } catch (err) {
      this.#d.logger.debug({ err: String(err) }, 'data channel send failed');
    }
  }

  /** Drop what is queued (the peer is closing). */
  clear(): void {
    this.#pending = [];
  }

  /** Forget the channel (the peer connection is being released). */
  detach(): void {
    this.#pending = [];
    this.#dc = undefined;
  }

  #flush(): void {
    const queued = this.#pending;
    this.#pending = [];
    const dc = this.#dc;
    for (const text of queued) {
      dc?.send(text);
    }
  }

  #onMessage(data: string | Buffer): void {
    const session = this.#d.session();
    if (session === undefined) {
      return;
    }
    const verdict = this.#rate.take(nowMs());
    if (verdict !== 'ok') {
      this.#rateDropped.inc();
      if (verdict === 'close') {
        session.end(1008, 'event rate limit exceeded');
      }
      return;
    }
    const max = this.#d.limits.maxEventBytes;
    if (typeof data !== 'string') {
      this.send({
        type: 'error',
        code: 'RELAY_ERR_PROTOCOL',
        message: 'the events channel carries JSON text only; audio goes over RTP',
      });
      return;
    }
    if (Buffer.byteLength(data) > max) {
      this.send({
        type: 'error',
        code: 'RELAY_ERR_PAYLOAD_TOO_LARGE',
        message: `event larger than ${max} bytes`,
      });
      return;
    }
    const parsed = parseClientEvent(data);
    if (!parsed.ok) {
      this.send({ type: 'error', code: 'RELAY_ERR_PROTOCOL', message: parsed.message });
      return;
    }
    session.handleClientEvent(parsed.event);
  }
}
