import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import {
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useOPUS,
  type RTCDataChannel,
  type RTCIceServer,
  type RTCRtpSender,
  type RTCRtpTransceiver,
} from 'werift';
import { nowMs } from '../../core/clock.js';
import { MessageRateLimiter } from '../../core/rate-limit.js';
import { SlowConsumerGuard } from '../../core/slow-consumer.js';
import { RelayError } from '../../errors/errors.js';
import type { ServerEvent } from '../../frames/events.js';
import { bytesPerFrame, FRAME_MS, type OutputFrame } from '../../frames/frames.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SessionHandle, SessionTransport } from '../ports.js';
import { ClientClock } from '../ws/client-clock.js';
import { parseClientEvent } from '../../frames/client-events.js';
import {
  OPUS_SILENCE_FRAME,
  OpusDecoderAtRate,
  OpusEncoderAtRate,
  type OpusEncoderOptions,
} from './opus.js';
import { RtpReceiveState, RtpSendClock, type RtpReceiveStats } from './rtp-seq.js';
import { filterCandidates, type AddressMatcher } from './sdp.js';

/** Label of the data channel that carries protocol v1 JSON events both ways. */
export const EVENTS_CHANNEL = 'events';

/** Everything a peer needs; resolved once per module (see WebRtcModuleOptions). */
export interface WebRtcPeerConfig {
  iceServers: RTCIceServer[];
  hostAddresses: string[];
  iceUseIpv6: boolean;
  icePortRange: [number, number] | undefined;
  allowLocal: AddressMatcher;
  allowRemote: AddressMatcher | undefined;
  gatherTimeoutMs: number;
  idleTimeoutMs: number;
  closeGraceMs: number;
  /** Events queued until the `events` channel opens; beyond this the session ends 4008. */
  maxQueuedEvents: number;
  /** Data-channel send backlog at which the session ends 4008. */
  maxEventBufferBytes: number;
  maxEventBytes: number;
  maxEventsPerSecond: number;
  opus: OpusEncoderOptions;
}

export interface WebRtcPeerDeps {
  config: WebRtcPeerConfig;
  pipelineRateHz: number;
  metrics: Metrics;
  logger: Logger;
  /** Called once, after the peer connection has been closed and everything released. */
  onReleased(peer: WebRtcPeer): void;
}

export interface WebRtcPeerStats {
  rtpIn: RtpReceiveStats;
  framesIn: number;
  decodeErrors: number;
  packetsOut: number;
  audioPacketsOut: number;
  silencePacketsOut: number;
  /** Total µs spent decoding inbound packets and encoding outbound ones (bench). */
  decodeUs: number;
  encodeUs: number;
}

type Unsubscribe = () => void;

const TALK_HANG_MS = 40;
const MAX_SILENCE_BURST = 3;

/**
 * One browser (or WHIP client) over werift: Opus in → PCM frames into the session's
 * jitter buffer; paced reply frames → Opus RTP out, with Opus silence packets in every
 * 20 ms slot that has no reply audio (driven by the module's shared ticker via `tick`);
 * the `events` data channel carries protocol v1 JSON both ways.
 *
 * Life cycle: `negotiate` (offer → answer, non-trickle), `attach` (the session), then
 * `close` from the session, or a peer-side end (ICE/DTLS failure, channel or connection
 * closed, no RTP for `idleTimeoutMs`), which tells the session. Either way every
 * subscription, timer, codec and the RTCPeerConnection itself are released exactly once.
 */
export class WebRtcPeer implements SessionTransport {
  readonly kind = 'webrtc';
  readonly createdAtMs = nowMs();
  readonly #d: WebRtcPeerDeps;
  readonly #pc: RTCPeerConnection;
  readonly #subs: Unsubscribe[] = [];
  #session: SessionHandle | undefined;
  #transceiver: RTCRtpTransceiver | undefined;
  #sender: RTCRtpSender | undefined;
  #opusPt: number | undefined;
  #dc: RTCDataChannel | undefined;
  #pending: string[] = [];
  #decoder: OpusDecoderAtRate | undefined;
  #encoder: OpusEncoderAtRate | undefined;
  readonly #rx = new RtpReceiveState(48_000, FRAME_MS);
  readonly #clientClock = new ClientClock();
  readonly #tx: RtpSendClock;
  readonly #frameBytes: number;
  #partial: { buf: Buffer; frameSeq: number; mediaMs: number; nextTs: number } | undefined;
  #connected = false;
  #closed = false;
  #released = false;
  #releasing: Promise<void> | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #lastRtpMs: number;
  #inTalk = false;
  #lastAudioMs = 0;
  #lastTurn = '';
  readonly #rate: MessageRateLimiter;
  readonly #slowEvents: SlowConsumerGuard;
  readonly #stats = {
    framesIn: 0,
    decodeErrors: 0,
    packetsOut: 0,
    audioPacketsOut: 0,
    silencePacketsOut: 0,
    decodeUs: 0,
    encodeUs: 0,
  };

  constructor(d: WebRtcPeerDeps) {
    this.#d = d;
    const c = d.config;
    this.#lastRtpMs = this.createdAtMs;
    this.#rate = new MessageRateLimiter(c.maxEventsPerSecond, this.createdAtMs);
    // Reply audio goes over RTP (never queued here): only the events channel can back up.
    this.#slowEvents = new SlowConsumerGuard(
      {
        dropAudioAboveBytes: c.maxEventBufferBytes,
        closeAboveBytes: c.maxEventBufferBytes,
        maxSlowMs: Infinity,
      },
      () => this.#slow('client too slow to read events'),
    );
    this.#frameBytes = bytesPerFrame(d.pipelineRateHz);
    this.#decoder = new OpusDecoderAtRate(d.pipelineRateHz);
    this.#encoder = new OpusEncoderAtRate(d.pipelineRateHz, c.opus);
    this.#tx = new RtpSendClock(randomInt(0, 0x1_0000), randomInt(0, 0x1_0000_0000));
    const allowLocal = c.allowLocal;
    const allowRemote = c.allowRemote;
    this.#pc = new RTCPeerConnection({
      iceServers: c.iceServers,
      iceUseIpv6: c.iceUseIpv6,
      iceAdditionalHostAddresses: c.hostAddresses,
      ...(c.icePortRange === undefined ? {} : { icePortRange: c.icePortRange }),
      iceFilterCandidatePair: (p) =>
        allowLocal(p.localCandidate.host) &&
        (allowRemote === undefined || allowRemote(p.remoteCandidate.host)),
      iceFilterStunResponse: (_m, addr) => allowRemote === undefined || allowRemote(addr[0]),
      codecs: { audio: [useOPUS()] },
    });
    this.#on(
      this.#pc.onRemoteTransceiverAdded.subscribe((t) => {
        if (t.kind !== 'audio' || this.#transceiver !== undefined) {
          t.setDirection('inactive');
          return;
        }
        this.#transceiver = t;
        this.#sender = t.sender;
        t.setDirection('sendrecv');
        this.#on(
          t.onTrack.subscribe((track) => {
            this.#on(track.onReceiveRtp.subscribe((rtp) => this.#onRtp(rtp)).unSubscribe);
          }).unSubscribe,
        );
      }).unSubscribe,
    );
    this.#on(this.#pc.onDataChannel.subscribe((dc) => this.#onDataChannel(dc)).unSubscribe);
    this.#on(
      this.#pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') {
          this.#connected = true;
        } else if (state === 'failed') {
          this.#peerGone(1006, 'peer connection failed');
        } else if (state === 'closed') {
          this.#peerGone(1000, 'peer connection closed');
        }
      }).unSubscribe,
    );
    this.#on(
      this.#pc.iceConnectionStateChange.subscribe((state) => {
        if (state === 'failed') {
          this.#peerGone(1006, 'ICE failed');
        } else if (state === 'closed') {
          this.#peerGone(1000, 'ICE closed');
        }
      }).unSubscribe,
    );
  }

  /** The session this peer carries (after attach). */
  get session(): SessionHandle | undefined {
    return this.#session;
  }

  get connected(): boolean {
    return this.#connected && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True once the RTCPeerConnection is closed and everything is released. */
  get released(): boolean {
    return this.#released;
  }

  stats(): WebRtcPeerStats {
    return { rtpIn: this.#rx.stats(), ...this.#stats };
  }

  /**
   * Applies the offer and returns the answer with every candidate gathered (non-trickle)
   * and only allowed host candidates left. Throws RELAY_ERR_BAD_REQUEST for an offer werift
   * cannot apply.
   */
  async negotiate(offerSdp: string): Promise<string> {
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    } catch (err) {
      throw new RelayError('RELAY_ERR_BAD_REQUEST', `offer rejected: ${errMessage(err)}`);
    }
    if (this.#transceiver === undefined) {
      throw new RelayError('RELAY_ERR_BAD_REQUEST', 'the offer has no audio');
    }
    const answer = await this.#pc.createAnswer();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#pc.setLocalDescription(answer),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new RelayError('RELAY_ERR_INTERNAL', 'ICE gathering timed out')),
            this.#d.config.gatherTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) {
      throw new RelayError('RELAY_ERR_CLOSED', 'peer closed during negotiation');
    }
    const local = this.#pc.localDescription;
    if (local === null) {
      throw new RelayError('RELAY_ERR_INTERNAL', 'no local description');
    }
    this.#opusPt = this.#transceiver.codecs.find(
      (c) => c.mimeType.toLowerCase() === 'audio/opus',
    )?.payloadType;
    for (const dtls of this.#pc.dtlsTransports) {
      this.#on(
        dtls.onStateChange.subscribe((s) => {
          if (s === 'closed' || s === 'failed') {
            this.#peerGone(s === 'failed' ? 1006 : 1000, `DTLS ${s}`);
          }
        }).unSubscribe,
      );
    }
    const filtered = filterCandidates(local.sdp, this.#d.config.allowLocal);
    if (filtered.kept === 0) {
      throw new RelayError(
        'RELAY_ERR_INTERNAL',
        'no allowed ICE host candidate (check the WebRTC hostAddresses option)',
      );
    }
    return filtered.sdp;
  }

  attach(session: SessionHandle): void {
    this.#session = session;
    if (this.#closed) {
      session.transportClosed(1006, 'peer closed before the session started');
    }
  }

  // ── SessionTransport ──────────────────────────────────────────────────────────────

  sendEvent(event: ServerEvent): void {
    if (this.#closed) {
      return;
    }
    const text = JSON.stringify(event);
    const dc = this.#dc;
    if (dc === undefined || dc.readyState !== 'open') {
      if (this.#pending.length >= this.#d.config.maxQueuedEvents) {
        this.#slow('events channel never opened');
        return;
      }
      this.#pending.push(text);
      return;
    }
    if (!this.#slowEvents.event(dc.bufferedAmount)) {
      return;
    }
    try {
      dc.send(text);
    } catch (err) {
      this.#d.logger.debug({ err: errMessage(err) }, 'data channel send failed');
    }
  }

  sendAudio(frame: OutputFrame): void {
    if (this.#closed || !this.#connected || this.#encoder === undefined) {
      return;
    }
    const now = nowMs();
    const resync = !this.#inTalk || frame.turnId !== this.#lastTurn;
    const t0 = process.hrtime.bigint();
    const payload = this.#encoder.encode(frame.payload);
    this.#stats.encodeUs += Number(process.hrtime.bigint() - t0) / 1000;
    this.#send(now, payload, resync);
    this.#stats.audioPacketsOut++;
    this.#inTalk = true;
    this.#lastAudioMs = now;
    this.#lastTurn = frame.turnId;
  }

  close(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#d.logger.debug({ code, reason }, 'webrtc peer closing');
    this.#closed = true;
    this.#stopMedia();
    const dc = this.#dc;
    if (dc !== undefined && dc.readyState === 'open' && this.#d.config.closeGraceMs > 0) {
      // Let `session.closing` leave over SCTP before the association goes.
      this.#closeTimer = setTimeout(() => void this.#release(), this.#d.config.closeGraceMs);
      this.#closeTimer.unref();
      return;
    }
    void this.#release();
  }

  /** Tear down without a session (negotiation failed or the module closes). */
  destroy(): Promise<void> {
    this.#closed = true;
    this.#stopMedia();
    return this.#release();
  }

  // ── shared ticker ─────────────────────────────────────────────────────────────────

  /**
   * Called every 20 ms by the module's one ticker: the idle check, and an Opus silence
   * packet for every 20 ms slot that got no reply frame (so the browser's jitter buffer
   * sees one continuous stream; timestamps keep +960 per slot).
   */
  tick(now: number): void {
    if (this.#closed) {
      return;
    }
    if (now - this.#lastRtpMs > this.#d.config.idleTimeoutMs) {
      this.#idle();
      return;
    }
    if (!this.#connected || this.#sender === undefined) {
      return;
    }
    if (this.#inTalk) {
      if (now - this.#lastAudioMs < FRAME_MS + TALK_HANG_MS) {
        return;
      }
      this.#inTalk = false;
    }
    if (!this.#tx.started) {
      this.#sendSilence(now);
      return;
    }
    for (let n = 0; n < MAX_SILENCE_BURST && this.#tx.nextDueMs() <= now; n++) {
      this.#sendSilence(now);
    }
    if (this.#tx.nextDueMs() <= now - FRAME_MS) {
      this.#tx.skipTo(now);
    }
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  #on(unsubscribe: Unsubscribe): void {
    this.#subs.push(unsubscribe);
  }

  #sendSilence(now: number): void {
    this.#send(now, OPUS_SILENCE_FRAME, false);
    this.#stats.silencePacketsOut++;
  }

  #send(now: number, payload: Buffer, marker: boolean): void {
    const sender = this.#sender;
    if (sender === undefined) {
      return;
    }
    const { seq, ts } = this.#tx.next(now, marker);
    const header = new RtpHeader({
      sequenceNumber: seq,
      timestamp: ts,
      marker,
      payloadType: this.#opusPt ?? 111,
    });
    this.#stats.packetsOut++;
    sender.sendRtp(new RtpPacket(header, payload)).catch((err: unknown) => {
      this.#d.logger.debug({ err: errMessage(err) }, 'RTP send failed');
    });
  }

  #onRtp(rtp: RtpPacket): void {
    const session = this.#session;
    const decoder = this.#decoder;
    if (this.#closed || session === undefined || decoder === undefined) {
      return;
    }
    const now = nowMs();
    this.#lastRtpMs = now;
    const h = rtp.header;
    if (this.#opusPt !== undefined && h.payloadType !== this.#opusPt) {
      return;
    }
    const a = this.#rx.accept(h.sequenceNumber, h.timestamp);
    if (a.kind !== 'ok' || rtp.payload.length === 0) {
      return;
    }
    let pcm: Buffer;
    const t0 = process.hrtime.bigint();
    try {
      pcm = decoder.decode(rtp.payload);
    } catch {
      this.#stats.decodeErrors++;
      this.#d.metrics.framesDropped.labels('bad_frame').inc();
      return;
    }
    this.#stats.decodeUs += Number(process.hrtime.bigint() - t0) / 1000;
    const fb = this.#frameBytes;
    if (pcm.length % fb === 0 && this.#partial === undefined) {
      for (let i = 0, off = 0; off < pcm.length; i++, off += fb) {
        this.#push(
          session,
          (a.frameSeq + i) >>> 0,
          a.mediaMs + i * FRAME_MS,
          pcm.subarray(off, off + fb),
          now,
        );
      }
      return;
    }
    // Packets shorter than 20 ms (ptime 10): gather contiguous audio into 20 ms frames.
    const ticks = ((pcm.length / 2) * 48_000) / this.#d.pipelineRateHz;
    let p = this.#partial;
    if (p === undefined || p.nextTs !== a.extTs) {
      p = { buf: Buffer.alloc(0), frameSeq: a.frameSeq, mediaMs: a.mediaMs, nextTs: a.extTs };
    }
    p.buf = Buffer.concat([p.buf, pcm]);
    p.nextTs = a.extTs + ticks;
    while (p.buf.length >= fb) {
      this.#push(session, p.frameSeq, p.mediaMs, p.buf.subarray(0, fb), now);
      p.buf = p.buf.subarray(fb);
      p.frameSeq = (p.frameSeq + 1) >>> 0;
      p.mediaMs += FRAME_MS;
    }
    this.#partial = p.buf.length === 0 ? undefined : p;
  }

  #push(session: SessionHandle, seq: number, mediaMs: number, payload: Buffer, now: number): void {
    this.#stats.framesIn++;
    this.#d.metrics.framesIn.inc();
    session.pushFrame({
      seq,
      captureTsMs: this.#clientClock.map(mediaMs, now),
      arrivalTsMs: now,
      payload,
      concealed: false,
    });
  }

  #onDataChannel(dc: RTCDataChannel): void {
    if (dc.label !== EVENTS_CHANNEL || this.#dc !== undefined || this.#closed) {
      dc.close();
      return;
    }
    this.#dc = dc;
    this.#on(
      dc.stateChanged.subscribe((state) => {
        if (state === 'open') {
          this.#flushPending();
        } else if (state === 'closed') {
          this.#peerGone(1000, 'events channel closed');
        }
      }).unSubscribe,
    );
    this.#on(dc.onMessage.subscribe((data) => this.#onClientMessage(data)).unSubscribe);
    if (dc.readyState === 'open') {
      this.#flushPending();
    }
  }

  #flushPending(): void {
    const queued = this.#pending;
    this.#pending = [];
    const dc = this.#dc;
    for (const text of queued) {
      dc?.send(text);
    }
  }

  #onClientMessage(data: string | Buffer): void {
    const session = this.#session;
    if (this.#closed || session === undefined) {
      return;
    }
    const c = this.#d.config;
    const verdict = this.#rate.take(nowMs());
    if (verdict !== 'ok') {
      this.#d.metrics.framesDropped.labels('rate_limited').inc();
      if (verdict === 'close') {
        session.end(1008, 'event rate limit exceeded');
      }
      return;
    }
    if (typeof data !== 'string') {
      this.sendEvent({
        type: 'error',
        code: 'RELAY_ERR_PROTOCOL',
        message: 'the events channel carries JSON text only; audio goes over RTP',
      });
      return;
    }
    if (Buffer.byteLength(data) > c.maxEventBytes) {
      this.sendEvent({
        type: 'error',
        code: 'RELAY_ERR_PAYLOAD_TOO_LARGE',
        message: `event larger than ${c.maxEventBytes} bytes`,
      });
      return;
    }
    const parsed = parseClientEvent(data);
    if (!parsed.ok) {
      this.sendEvent({ type: 'error', code: 'RELAY_ERR_PROTOCOL', message: parsed.message });
      return;
    }
    session.handleClientEvent(parsed.event);
  }

  #slow(reason: string): void {
    const s = this.#session;
    if (s !== undefined) {
      s.end(4008, reason);
    } else {
      void this.destroy();
    }
  }

  #idle(): void {
    const reason = `no RTP for ${Math.round(this.#d.config.idleTimeoutMs / 1000)} s`;
    this.#d.logger.info({ reason }, 'webrtc peer idle');
    const s = this.#session;
    if (s !== undefined) {
      s.end(1001, `idle timeout: ${reason}`);
    }
    if (!this.#closed) {
      void this.destroy();
    }
  }

  /** The browser side went away: release, then tell the session. */
  #peerGone(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#d.logger.debug({ code, reason }, 'webrtc peer gone');
    this.#closed = true;
    this.#stopMedia();
    void this.#release();
    this.#session?.transportClosed(code, reason);
  }

  #stopMedia(): void {
    this.#pending = [];
    this.#partial = undefined;
    this.#decoder = undefined;
    this.#encoder = undefined;
  }

  #release(): Promise<void> {
    this.#releasing ??= this.#doRelease();
    return this.#releasing;
  }

  async #doRelease(): Promise<void> {
    if (this.#closeTimer !== undefined) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = undefined;
    }
    for (const unsubscribe of this.#subs.splice(0)) {
      try {
        unsubscribe();
      } catch {
        // werift events that already completed
      }
    }
    this.#dc = undefined;
    this.#sender = undefined;
    this.#transceiver = undefined;
    try {
      await this.#pc.close();
    } catch (err) {
      this.#d.logger.debug({ err: errMessage(err) }, 'peer connection close failed');
    }
    this.#released = true;
    this.#d.onReleased(this);
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
