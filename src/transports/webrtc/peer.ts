import type { Logger } from 'pino';
import type { RTCDataChannel, RTCPeerConnection, RTCRtpTransceiver, RtpPacket } from 'werift';
import { nowMs } from '../../core/clock.js';
import { RelayError } from '../../errors/errors.js';
import type { ServerEvent } from '../../frames/events.js';
import type { OutputFrame } from '../../frames/frames.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SessionHandle, SessionTransport } from '../ports.js';
import type { OpusEncoderOptions } from './opus.js';
import { EventsChannel } from './events-channel.js';
import { OpusAudioIn } from './audio-in.js';
import { OpusAudioOut } from './audio-out.js';
import { createPeerConnection, setLocalAnswer, type PeerIceConfig } from './peer-connection.js';
import type { RtpReceiveStats } from './rtp-seq.js';
import { filterCandidates } from './sdp.js';

export { EVENTS_CHANNEL } from './events-channel.js';

/** Everything a peer needs; resolved once per module (see WebRtcModuleOptions). */
export interface WebRtcPeerConfig extends PeerIceConfig {
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
  #opusPt: number | undefined;
  readonly #events: EventsChannel;
  readonly #audioIn: OpusAudioIn;
  readonly #audioOut: OpusAudioOut;
  #connected = false;
  #closed = false;
  #released = false;
  #releasing: Promise<void> | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #lastRtpMs: number;

  constructor(d: WebRtcPeerDeps) {
    this.#d = d;
    const c = d.config;
    this.#lastRtpMs = this.createdAtMs;
    this.#events = new EventsChannel({
      limits: c,
      metrics: d.metrics,
      logger: d.logger,
      session: () => (this.#closed ? undefined : this.#session),
      onSlow: (reason) => this.#slow(reason),
      track: (unsubscribe) => this.#on(unsubscribe),
      onClosed: () => this.#peerGone(1000, 'events channel closed'),
    });
    this.#audioIn = new OpusAudioIn(d.pipelineRateHz, d.metrics);
    this.#audioOut = new OpusAudioOut(d.pipelineRateHz, c.opus, d.logger);
    this.#pc = createPeerConnection(c);
    this.#on(
      this.#pc.onRemoteTransceiverAdded.subscribe((t) => {
        if (t.kind !== 'audio' || this.#transceiver !== undefined) {
          t.setDirection('inactive');
          return;
        }
        this.#transceiver = t;
        this.#audioOut.setSender(t.sender);
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
    return { rtpIn: this.#audioIn.rtpStats(), ...this.#audioIn.stats, ...this.#audioOut.stats };
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
    await setLocalAnswer(this.#pc, answer, this.#d.config.gatherTimeoutMs);
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
    this.#audioOut.setPayloadType(this.#opusPt);
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
    this.#events.send(event);
  }

  sendAudio(frame: OutputFrame): void {
    if (this.#closed || !this.#connected) {
      return;
    }
    this.#audioOut.sendFrame(frame, nowMs());
  }

  close(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#d.logger.debug({ code, reason }, 'webrtc peer closing');
    this.#closed = true;
    this.#stopMedia();
    if (this.#events.open && this.#d.config.closeGraceMs > 0) {
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

  /** Called every 20 ms by the module's one ticker: the idle check, then silence out. */
  tick(now: number): void {
    if (this.#closed) {
      return;
    }
    if (now - this.#lastRtpMs > this.#d.config.idleTimeoutMs) {
      this.#idle();
      return;
    }
    if (this.#connected) {
      this.#audioOut.tick(now);
    }
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  #on(unsubscribe: Unsubscribe): void {
    this.#subs.push(unsubscribe);
  }

  #onRtp(rtp: RtpPacket): void {
    const session = this.#session;
    if (this.#closed || session === undefined) {
      return;
    }
    const now = nowMs();
    this.#lastRtpMs = now;
    if (this.#opusPt === undefined || rtp.header.payloadType === this.#opusPt) {
      this.#audioIn.receive(rtp, session, now);
    }
  }

  #onDataChannel(dc: RTCDataChannel): void {
    if (this.#closed || !this.#events.adopt(dc)) {
      dc.close();
    }
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
    this.#events.clear();
    this.#audioIn.stop();
    this.#audioOut.stop();
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
    this.#events.detach();
    this.#audioOut.detach();
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
