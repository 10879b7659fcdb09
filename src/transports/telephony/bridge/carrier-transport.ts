/**
 * `CarrierTransport`: the session transport of one phone call. Reply frames are resampled
 * and encoded to the carrier's output format and handed to the call's serializer in pieces
 * that obey the carrier's chunk rule; a playback mark (`vr:<seq>`) follows the first piece of
 * every reply, then at least every `markIntervalMs` of audio and the reply's last piece, so
 * the carrier's ack says exactly which output frame has been played. `response.interrupted`
 * drops what is held and sends the carrier's clear; marks still outstanding then are "cut",
 * and their echoes (Twilio and Telnyx echo marks on clear) are ignored.
 */
import { nowMs } from '../../../core/clock.js';
import { SlowConsumerGuard } from '../../../core/slow-consumer.js';
import type { ServerEvent } from '../../../frames/events.js';
import type { OutputFrame } from '../../../frames/frames.js';
import type { Metrics } from '../../../observability/metrics.js';
import type { SessionTransport } from '../../ports.js';
import type { CarrierMediaFormat, CarrierName, CarrierSerializer, WireMessage } from '../types.js';
import { isConvertible, OutboundAudio, type OutboundPiece } from './audio-convert.js';

/** The connection under a call: a WebSocket or the AudioSocket TCP stream. */
export interface CarrierWire {
  /** A string is a TEXT frame, a Buffer a BINARY frame (TCP: raw bytes). */
  send(message: WireMessage): void;
  /** Close with a WebSocket close code (TCP: end the stream). Idempotent. */
  close(code: number, reason: string): void;
  /** Bytes queued for the peer and not yet written. */
  readonly bufferedAmount: number;
  readonly open: boolean;
}

export interface CarrierTransportOptions {
  carrier: CarrierName;
  serializer: CarrierSerializer;
  wire: CarrierWire;
  metrics: Metrics;
  pipelineRateHz: number;
  /** Audio between two playback marks within a reply (the first piece is always marked). */
  markIntervalMs: number;
  /** Reply audio is dropped (counted) while the wire has more than this queued. */
  dropAudioAboveBytes: number;
  /** The session is closed (4008) once the backlog passes this or stays high for maxSlowMs. */
  closeAboveBytes: number;
  maxSlowMs: number;
  /** Every server event of the session (observers: logging, tests). */
  onEvent?: (event: ServerEvent) => void;
  /** The carrier does not read its socket. */
  onSlow(): void;
}

/** Marks kept waiting for their ack; older ones are forgotten beyond this. */
const MAX_OUTSTANDING_MARKS = 512;
export const MARK_PREFIX = 'vr:';

export class CarrierTransport implements SessionTransport {
  readonly kind: string;
  readonly #o: CarrierTransportOptions;
  readonly #serializer: CarrierSerializer;
  readonly #wire: CarrierWire;
  #out: OutboundAudio | undefined;
  #outFormat: CarrierMediaFormat | undefined;
  #turn: string | undefined;
  #replyMarked = false;
  #framesSinceMark = 0;
  /** Output seq of the last frame whose audio went to the wire, and of the last marked. */
  #lastSeq: number | undefined;
  #lastMarked: number | undefined;
  readonly #marks = new Map<string, number>();
  readonly #guard: SlowConsumerGuard;
  #closed = false;
  #peerEnded = false;
  #marksSent = 0;
  #marksAcked = 0;
  #clears = 0;
  readonly #dropSlow;
  readonly #dropNoFormat;

  constructor(o: CarrierTransportOptions) {
    this.#o = o;
    this.kind = `telephony:${o.carrier}`;
    this.#serializer = o.serializer;
    this.#wire = o.wire;
    this.#dropSlow = o.metrics.framesDropped.labels('carrier_slow');
    this.#guard = new SlowConsumerGuard(o, () => o.onSlow());
    this.#dropNoFormat = o.metrics.framesDropped.labels('carrier_no_output_format');
  }

  get stats(): { marksSent: number; marksAcked: number; clears: number } {
    return { marksSent: this.#marksSent, marksAcked: this.#marksAcked, clears: this.#clears };
  }

  sendEvent(event: ServerEvent): void {
    this.#o.onEvent?.(event);
    if (this.#closed) {
      return;
    }
    switch (event.type) {
      case 'response.interrupted':
        this.#interrupt();
        break;
      case 'response.done':
        this.#finishReply();
        break;
      case 'error':
        if (event.turnId !== undefined && event.turnId === this.#turn) {
          this.#finishReply();
        }
        break;
      default:
        break;
    }
  }

  sendAudio(frame: OutputFrame): void {
    if (this.#closed || !this.#wire.open) {
      return;
    }
    if (!this.#guard.audio(this.#wire.bufferedAmount, nowMs())) {
      this.#dropSlow.inc();
      return;
    }
    if (frame.turnId !== this.#turn) {
      if (this.#turn !== undefined) {
        this.#finishReply();
      }
      this.#turn = frame.turnId;
      this.#replyMarked = false;
      this.#framesSinceMark = 0;
      this.#lastSeq = undefined;
      this.#lastMarked = undefined;
    }
    const out = this.#output();
    if (out === undefined) {
      this.#dropNoFormat.inc();
      return;
    }
    const piece = out.push(frame);
    if (piece !== undefined) {
      this.#sendPiece(piece);
    }
  }

  /** Slow-consumer check about once a second (the shared ticker). */
  poll(now: number): void {
    if (!this.#closed) {
      this.#guard.poll(this.#wire.bufferedAmount, now);
    }
  }

  /** The carrier ended the call itself: no in-band hang-up on close. */
  peerEnded(): void {
    this.#peerEnded = true;
  }

  close(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (!this.#peerEnded && this.#wire.open) {
      for (const m of this.#serializer.hangup() ?? []) {
        this.#wire.send(m);
      }
    }
    this.#wire.close(code, reason);
  }

  /**
   * A playback ack from the carrier: the output seq it confirms, or undefined for a mark
   * this call did not send or one that was cut by a clear.
   */
  resolveMark(name: string): number | undefined {
    const seq = this.#marks.get(name);
    if (seq === undefined) {
      return undefined;
    }
    // Marks are played in order: this ack also settles every earlier one.
    for (const key of this.#marks.keys()) {
      this.#marks.delete(key);
      if (key === name) {
        break;
      }
    }
    this.#marksAcked++;
    return seq;
  }

  /** The converter for the serializer's current output format (it may change at `start`). */
  #output(): OutboundAudio | undefined {
    const format = this.#serializer.outputFormat;
    if (format === undefined || !isConvertible(format.encoding) || format.frameBytes === 0) {
      return undefined;
    }
    if (this.#out === undefined || format !== this.#outFormat) {
      this.#out = new OutboundAudio(this.#o.pipelineRateHz, format);
      this.#outFormat = format;
    }
    return this.#out;
  }

  #send(messages: readonly WireMessage[] | undefined): void {
    for (const m of messages ?? []) {
      this.#wire.send(m);
    }
  }

  #sendPiece(piece: OutboundPiece): void {
    this.#send(this.#serializer.media(piece.bytes));
    this.#framesSinceMark += piece.frames;
    const seq = piece.lastSeq;
    this.#lastSeq = seq ?? this.#lastSeq;
    if (
      seq !== undefined &&
      this.#serializer.capabilities.marks &&
      (!this.#replyMarked || this.#framesSinceMark * 20 >= this.#o.markIntervalMs)
    ) {
      this.#mark(seq);
    }
  }

  #mark(seq: number): void {
    const name = `${MARK_PREFIX}${seq}`;
    const messages = this.#serializer.mark(name);
    if (messages === undefined) {
      return;
    }
    this.#send(messages);
    this.#marks.delete(name);
    this.#marks.set(name, seq);
    if (this.#marks.size > MAX_OUTSTANDING_MARKS) {
      const oldest = this.#marks.keys().next();
      if (oldest.done !== true) {
        this.#marks.delete(oldest.value);
      }
    }
    this.#marksSent++;
    this.#lastMarked = seq;
    this.#replyMarked = true;
    this.#framesSinceMark = 0;
  }

  /** End of a reply: send what is held (padded by the serializer), then the last mark. */
  #finishReply(): void {
    const out = this.#out;
    this.#turn = undefined;
    if (out === undefined || this.#closed || !this.#wire.open) {
      return;
    }
    const piece = out.finish();
    if (piece !== undefined) {
      this.#send(this.#serializer.media(piece.bytes));
      this.#lastSeq = piece.lastSeq ?? this.#lastSeq;
    }
    const last = this.#lastSeq;
    if (last !== undefined && last !== this.#lastMarked && this.#serializer.capabilities.marks) {
      this.#mark(last);
    } else {
      this.#send(this.#serializer.flush());
    }
  }

  #interrupt(): void {
    this.#out?.reset();
    this.#turn = undefined;
    this.#lastSeq = undefined;
    this.#lastMarked = undefined;
    this.#marks.clear();
    this.#clears++;
    if (this.#wire.open) {
      this.#send(this.#serializer.clear());
    }
  }
}
