/**
 * `CarrierCall`: one carrier connection (a WebSocket or an AudioSocket TCP stream) from the
 * first byte to the close. Carrier messages go through the call's serializer; the events
 * drive the session: `start` sets up inbound conversion (and, when the relay credential comes
 * with the start, authenticates, authorizes and admits before the session exists — no audio
 * is processed before that), `media` becomes 20 ms frames for the jitter buffer, `mark` acks
 * feed the playout clock, `dtmf` reaches the pipeline, `stop` ends the session.
 *
 * Malformed or unexpected messages never throw: they are counted
 * (`relay_frames_dropped_total{reason="carrier_bad_message"}`), logged without payloads
 * (rate-limited), and a call that keeps sending them is closed with 1008.
 */
import type { Logger } from 'pino';
import type { PipelineConfig } from '../../../config/pipeline-schema.js';
import { nowMs } from '../../../core/clock.js';
import { MessageRateLimiter } from '../../../core/rate-limit.js';
import { RelayError, toRelayError } from '../../../errors/errors.js';
import { httpStatusOf, wsCloseCodeOf } from '../../../errors/map.js';
import type { AdmissionLease, MediaContext, SessionHandle } from '../../ports.js';
import type { CarrierName, CarrierSerializer, InboundEvent, StartEvent } from '../types.js';
import { isConvertible } from './audio-convert.js';
import { InboundAudio } from './inbound-audio.js';
import { CarrierTransport, type CarrierWire } from './carrier-transport.js';
import type { CallInfo, ResolvedTelephonyOptions } from './options.js';

/** The session's principal and pipeline were settled at the upgrade (a path token). */
export interface ReadyAuth {
  kind: 'ready';
  lease: AdmissionLease;
}

/** The carrier credential passed; the relay credential comes with the start message. */
export interface DeferredAuth {
  kind: 'deferred';
  /** `?pipeline=` of the upgrade URL, if any. */
  pipeline: string | undefined;
  /** The carrier's configured pipeline (before the module default). */
  carrierPipeline: string | undefined;
  /** The relay credential for this start, if any (custom `token`, mapping, service token). */
  credential(start: StartEvent): string | undefined | Promise<string | undefined>;
}

export interface CarrierCallOptions {
  carrier: CarrierName;
  serializer: CarrierSerializer;
  wire: CarrierWire;
  ctx: MediaContext;
  logger: Logger;
  settings: ResolvedTelephonyOptions;
  auth: ReadyAuth | DeferredAuth;
  /** Called once when the call is over (socket closed). */
  onDone?(): void;
}

/** Inbound tracks that carry the caller (Twilio and Telnyx name them differently). */
const CALLER_TRACKS = new Set(['inbound', 'inbound_track']);
/** Bad-message log lines per call before only counting. */
const MAX_LOGGED_PROBLEMS = 5;

type Phase = 'waiting-start' | 'authorizing' | 'live' | 'closed';

export class CarrierCall {
  readonly info: CallInfo;
  readonly #o: CarrierCallOptions;
  readonly #s: ResolvedTelephonyOptions;
  readonly #baseLog: Logger;
  /** The call's logger, with the carrier call id and session id once known. */
  #log: Logger;
  #phase: Phase = 'waiting-start';
  #session: SessionHandle | undefined;
  #transport: CarrierTransport | undefined;
  #inbound: InboundAudio | undefined;
  #start: StartEvent | undefined;
  #pending: { ev: InboundEvent; arrivalMs: number }[] = [];
  #startTimer: NodeJS.Timeout | undefined;
  readonly #rate: MessageRateLimiter;
  #badTokens: number;
  #badRefill = nowMs();
  #logged = 0;
  #lease: AdmissionLease | undefined;
  readonly #m;

  constructor(o: CarrierCallOptions) {
    this.#o = o;
    this.#s = o.settings;
    this.info = { carrier: o.carrier, customParameters: {} };
    this.#baseLog = o.logger;
    this.#log = o.logger;
    this.#rate = new MessageRateLimiter(this.#s.maxMessagesPerSecond, nowMs());
    this.#badTokens = this.#s.maxBadMessages;
    const dropped = o.ctx.metrics.framesDropped;
    this.#m = {
      bad: dropped.labels('carrier_bad_message'),
      reported: dropped.labels('carrier_reported_error'),
      rate: dropped.labels('carrier_rate_limited'),
      early: dropped.labels('carrier_media_before_start'),
      pendingOverflow: dropped.labels('carrier_auth_pending'),
      duplicate: dropped.labels('carrier_duplicate'),
      late: dropped.labels('carrier_late'),
      framesIn: o.ctx.metrics.framesIn,
    };
    this.#startTimer = setTimeout(() => {
      if (this.#phase === 'waiting-start' || this.#phase === 'authorizing') {
        this.#refuse(
          new RelayError('RELAY_ERR_UNAUTHENTICATED', 'no start from the carrier in time'),
        );
      }
    }, this.#s.startTimeoutMs);
    this.#startTimer.unref();
    if (o.auth.kind === 'ready') {
      try {
        this.#createSession(o.auth.lease);
      } catch (err) {
        this.#refuse(toRelayError(err));
      }
    }
  }

  get closed(): boolean {
    return this.#phase === 'closed';
  }

  get session(): SessionHandle | undefined {
    return this.#session;
  }

  get transport(): CarrierTransport | undefined {
    return this.#transport;
  }

  /** One wire message (TCP: the next bytes of the stream). Never throws. */
  onMessage(data: Buffer | string, isBinary: boolean): void {
    try {
      this.#onMessage(data, isBinary);
    } catch (err) {
      // A bug must cost this call, never the relay or another call.
      this.#log.error({ err: String(err) }, 'carrier message handling failed');
      try {
        this.#fail(1011, 'internal error');
      } catch {
        this.#o.wire.close(1011, 'internal error');
      }
    }
  }

  #onMessage(data: Buffer | string, isBinary: boolean): void {
    if (this.#phase === 'closed' || !this.#rateOk()) {
      return;
    }
    let events: InboundEvent[];
    try {
      events = this.#o.serializer.parse(data, isBinary);
    } catch (err) {
      // The serializers never throw; this guards the relay if one ever does.
      events = [{ kind: 'error', reason: `parser failure: ${String(err)}` }];
    }
    for (const ev of events) {
      if (this.closed) {
        return;
      }
      this.#handle(ev);
    }
  }

  /** The connection is gone (carrier hang-up, network, or our own close). */
  onClosed(code: number): void {
    if (this.#phase === 'closed') {
      return;
    }
    this.#phase = 'closed';
    this.#clearTimer();
    this.#pending = [];
    const s = this.#session;
    if (s !== undefined) {
      s.transportClosed(code, 'carrier closed');
    }
    this.#lease?.release();
    this.#o.onDone?.();
  }

  /** The call's logger carries the carrier call id and the session id once known. */
  #rebindLog(): void {
    const { callId, sessionId } = this.info;
    this.#log = this.#baseLog.child({
      ...(callId === undefined ? {} : { callId }),
      ...(sessionId === undefined ? {} : { sessionId }),
    });
  }

  #clearTimer(): void {
    if (this.#startTimer !== undefined) {
      clearTimeout(this.#startTimer);
      this.#startTimer = undefined;
    }
  }

  #rateOk(): boolean {
    const verdict = this.#rate.take(nowMs());
    if (verdict === 'ok') {
      return true;
    }
    this.#m.rate.inc();
    if (verdict === 'close') {
      this.#fail(1008, 'message rate limit exceeded');
    }
    return false;
  }

  /** The carrier stopped answering pings: it is not reading its socket (or is gone). */
  heartbeatMissed(): void {
    this.#fail(4008, 'carrier not reading: heartbeat missed');
  }

  #handle(ev: InboundEvent, arrivalMs = nowMs()): void {
    switch (ev.kind) {
      case 'start':
        this.#onStart(ev);
        return;
      case 'media':
      case 'dtmf':
        if (this.#phase === 'waiting-start') {
          if (ev.kind === 'media') {
            this.#m.early.inc();
          } else {
            this.#problem('dtmf before start');
          }
          return;
        }
        if (this.#phase === 'authorizing') {
          if (this.#pending.length < this.#s.maxPendingMessages) {
            this.#pending.push({ ev, arrivalMs: nowMs() });
          } else {
            this.#m.pendingOverflow.inc();
          }
          return;
        }
        if (ev.kind === 'media') {
          this.#onMedia(ev, arrivalMs);
        } else {
          this.#session?.dtmf(ev.digit);
        }
        return;
      case 'mark': {
        const seq = this.#transport?.resolveMark(ev.name);
        if (seq !== undefined) {
          this.#session?.playbackMark(seq);
        }
        return;
      }
      case 'cleared':
      case 'ignored':
        return;
      case 'stop':
        this.#onStop();
        return;
      case 'error':
        if (ev.fatal === true) {
          // The protocol cannot go on (e.g. AudioSocket audio before its UUID, or its
          // error message): end the call now rather than at the start timeout.
          this.#logProblem(ev.reason, ev.reported === true);
          this.#fail(1008, ev.reason);
          return;
        }
        if (ev.reported === true) {
          // The carrier reports a problem of its own (e.g. an old Asterisk refusing
          // MARK_MEDIA): counted and logged, never held against the call.
          this.#m.reported.inc();
          this.#logProblem(ev.reason, true);
        } else {
          this.#problem(ev.reason);
        }
        return;
    }
  }

  #onStart(ev: StartEvent): void {
    if (this.#start !== undefined) {
      this.#problem('second start ignored');
      return;
    }
    this.#start = ev;
    const params = { ...ev.customParameters };
    delete params['token'];
    this.info.customParameters = params;
    if (ev.callId !== undefined) {
      this.info.callId = ev.callId;
    }
    if (ev.streamId !== undefined) {
      this.info.streamId = ev.streamId;
    }
    this.#rebindLog();
    if (!isConvertible(ev.format.encoding)) {
      this.#o.ctx.metrics.framesDropped.labels('carrier_unsupported_codec').inc();
      this.#log.warn({ encoding: ev.format.encoding }, 'carrier codec not supported');
      this.#fail(1003, `unsupported codec ${ev.format.encoding}`);
      return;
    }
    const auth = this.#o.auth;
    if (auth.kind === 'ready') {
      this.#setupInbound(ev, auth.lease.config);
      this.#clearTimer();
      this.#phase = 'live';
      return;
    }
    this.#phase = 'authorizing';
    this.#authorize(auth, ev).catch((err: unknown) => this.#refuse(toRelayError(err)));
  }

  async #authorize(auth: DeferredAuth, start: StartEvent): Promise<void> {
    const token = await auth.credential(start);
    if (token === undefined || token === '') {
      throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'the call carries no relay credential');
    }
    const lease = await this.#o.ctx.gate.admit({
      credential: { kind: 'token', token, source: 'authorization' },
      pipeline:
        auth.pipeline ??
        start.customParameters['pipeline'] ??
        auth.carrierPipeline ??
        this.#s.defaultPipeline,
      gone: () => this.#phase !== 'authorizing',
    });
    this.#clearTimer();
    this.#createSession(lease);
    this.#setupInbound(start, lease.config);
    this.#phase = 'live';
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) {
      if (this.#phase !== 'live') {
        break;
      }
      this.#handle(p.ev, p.arrivalMs);
    }
  }

  #setupInbound(start: StartEvent, config: PipelineConfig): void {
    this.#inbound = new InboundAudio({
      format: start.format,
      pipelineRateHz: config.audio.sampleRateHz,
    });
  }

  #createSession(lease: AdmissionLease): void {
    const ctx = this.#o.ctx;
    const s = this.#s;
    const config = lease.config;
    const holder: { session?: SessionHandle } = {};
    const onEvent = s.onEvent;
    const transport = new CarrierTransport({
      carrier: this.#o.carrier,
      serializer: this.#o.serializer,
      wire: this.#o.wire,
      metrics: ctx.metrics,
      pipelineRateHz: config.audio.sampleRateHz,
      markIntervalMs: s.markIntervalMs,
      dropAudioAboveBytes: s.backpressure.dropAudioAboveBytes,
      closeAboveBytes: s.backpressure.closeAboveBytes,
      maxSlowMs: s.backpressure.maxSlowMs,
      ...(onEvent === undefined ? {} : { onEvent: (e) => onEvent(this.info, e) }),
      onSlow: () => holder.session?.end(4008, 'carrier too slow to read audio'),
    });
    this.#transport = transport;
    this.#lease = lease;
    this.info.sessionId = lease.sessionId;
    this.#rebindLog();
    const session = lease.commit(transport);
    holder.session = session;
    this.#session = session;
    this.#log.info({ pipeline: config.name }, 'carrier call started');
  }

  #onMedia(ev: Extract<InboundEvent, { kind: 'media' }>, arrivalMs: number): void {
    const inbound = this.#inbound;
    const session = this.#session;
    if (inbound === undefined || session === undefined) {
      return;
    }
    if (ev.track !== undefined && !CALLER_TRACKS.has(ev.track)) {
      return;
    }
    const r = inbound.push(ev.payload, ev.chunk, arrivalMs);
    this.info.chunksReordered = inbound.reordered;
    for (const f of r.frames) {
      this.#m.framesIn.inc();
      session.pushFrame(f);
    }
    if (r.dropped === 'duplicate') {
      this.#m.duplicate.inc();
    } else if (r.dropped === 'late') {
      this.#m.late.inc();
    }
  }

  #onStop(): void {
    this.#transport?.peerEnded();
    const s = this.#session;
    if (s !== undefined) {
      s.end(1000, 'carrier hung up');
    } else {
      this.#o.wire.close(1000, 'carrier hung up');
    }
  }

  /** A malformed or unexpected message: counted, logged (a few per call), budgeted. */
  #problem(reason: string): void {
    this.#m.bad.inc();
    this.#logProblem(reason, false);
    const now = nowMs();
    const max = this.#s.maxBadMessages;
    this.#badTokens = Math.min(
      max,
      this.#badTokens + ((now - this.#badRefill) * this.#s.badMessagesPerSecond) / 1000,
    );
    this.#badRefill = now;
    this.#badTokens -= 1;
    if (this.#badTokens < 0) {
      this.#log.warn('carrier sent too many malformed messages');
      this.#fail(1008, 'too many malformed messages');
    }
  }

  #logProblem(reason: string, reported: boolean): void {
    if (this.#logged >= MAX_LOGGED_PROBLEMS) {
      return;
    }
    this.#logged++;
    if (reported) {
      this.#log.warn({ reason }, 'carrier reported an error');
    } else {
      this.#log.debug({ reason }, 'carrier message rejected');
    }
  }

  /** The call cannot go on: end the session (or close the socket) with `code`. */
  #fail(code: number, reason: string): void {
    const s = this.#session;
    if (s !== undefined) {
      s.end(code, reason);
    } else {
      this.#o.wire.close(code, reason);
    }
  }

  /** The relay credential of a deferred call was refused. */
  #refuse(err: RelayError): void {
    if (this.#phase === 'closed') {
      return;
    }
    this.#o.ctx.metrics.upgrades.labels(String(httpStatusOf(err))).inc();
    if (err.code === 'RELAY_ERR_INTERNAL') {
      this.#log.error({ err: err.message }, 'carrier call setup failed');
    } else {
      this.#log.info({ code: err.code }, 'carrier call refused');
    }
    this.#fail(wsCloseCodeOf(err), err.message);
  }
}
