/**
 * The ports between transports and the layers above them (architecture section 2): what a
 * transport is to its session, what a transport may ask of a session, the one admission gate
 * every ingress goes through, and what the media listener hands an ingress module. The
 * session layer implements these; transports import only this file, never `session/` or
 * `server/`, so nothing below the session imports upward.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator.js';
import type { RequestLike } from '../auth/extract.js';
import type { Principal } from '../auth/principal.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { Ticker } from '../core/ticker.js';
import type { RelayError } from '../errors/errors.js';
import type { ClientEvent } from '../frames/client-events.js';
import type { ServerEvent } from '../frames/events.js';
import type { AudioFrame, OutputFrame } from '../frames/frames.js';
import type { Metrics } from '../observability/metrics.js';

/** What a session needs from its transport (WebSocket, WebRTC, a carrier). */
export interface SessionTransport {
  readonly kind: string;
  /** Control lane: never dropped. */
  sendEvent(event: ServerEvent): void;
  /** Data lane: paced reply audio. */
  sendAudio(frame: OutputFrame): void;
  /** Close the connection with a protocol close code (idempotent). */
  close(code: number, reason: string): void;
  /** Called about once a second from the shared ticker (slow-consumer checks). */
  poll?(nowMs: number): void;
}

/** What a transport may do with the session it carries. */
export interface SessionHandle {
  readonly id: string;
  readonly principal: Principal;
  readonly config: PipelineConfig;
  /** One inbound 20 ms frame into the session's uplink. */
  pushFrame(frame: AudioFrame): void;
  handleClientEvent(ev: ClientEvent): void;
  dtmf(digit: string): void;
  /** The client (or carrier) has played output frames up to `seq`. */
  playbackMark(seq: number): void;
  /** End the session from the relay side (announces `session.closing`, then closes). */
  end(code: number, reason: string): void;
  /** The connection is gone: end without trying to send anything. */
  transportClosed(code: number, reason: string): void;
}

/** Where a client's relay credential comes from. */
export type AdmissionCredential =
  /** A request carrying it in a header, a subprotocol or the query (WS, WebRTC). */
  | { kind: 'request'; request: RequestLike }
  /** A bare token a carrier brought (path token, start parameter, AudioSocket mapping). */
  | { kind: 'token'; token: string; source: 'authorization' | 'query' };

export interface AdmissionRequest {
  credential: AdmissionCredential;
  /** The pipeline asked for (already defaulted by the transport). */
  pipeline: string;
  /**
   * Transport checks after authorization and before a slot is taken (origin, subprotocol,
   * reading the SDP offer): a throw refuses the client with that error.
   */
  beforeAdmit?(auth: { principal: Principal; subprotocol: boolean }): void | Promise<void>;
  /**
   * True once the client went away (socket destroyed, the call ended): checked before and
   * after the slot is taken and again at commit, which then refuses with RELAY_ERR_CLOSED.
   */
  gone?(): boolean;
}

/**
 * An admitted client that is not a session yet: it holds a process slot and a slot of its
 * credential. Exactly one of `commit` (the session starts on `transport`) or `release`
 * (the slots are given back) takes effect; `release` after a commit does nothing, so a
 * transport can release on every failure path without tracking what happened.
 */
export interface AdmissionLease {
  readonly sessionId: string;
  readonly principal: Principal;
  readonly config: PipelineConfig;
  /** The credential came as a WebSocket subprotocol (answer with `voice-relay.v1`). */
  readonly subprotocol: boolean;
  /** Still neither committed nor released. */
  readonly open: boolean;
  /**
   * Start the session on `transport`. Throws (and releases) when the lease is no longer
   * open, the client is gone, the relay started draining, or the session cannot be built.
   */
  commit(transport: SessionTransport): SessionHandle;
  /** Give the slots back (idempotent; nothing after a commit). */
  release(): void;
}

/**
 * The one admission gate of every ingress: drain → authenticate → pipeline → authorize →
 * transport checks → admit (rate and concurrency limits) → race check → lease.
 */
export interface AdmissionGate {
  /** True while the relay refuses new sessions. */
  readonly draining: boolean;
  /** Throws RELAY_ERR_DRAINING while draining. */
  assertOpen(): void;
  admit(request: AdmissionRequest): Promise<AdmissionLease>;
}

/** What an ingress module (WebRTC signalling, carrier sockets) gets from the media listener. */
export interface MediaContext {
  gate: AdmissionGate;
  /** For requests about existing sessions (e.g. WebRTC DELETE). */
  authenticator: Authenticator;
  metrics: Metrics;
  logger: Logger;
  /** The relay's one 20 ms ticker: transports never start their own. */
  ticker: Ticker;
  /** True while the listener refuses new sessions (drain). */
  draining(): boolean;
  /** Answer an upgrade with an HTTP status and the JSON error body, then destroy the socket. */
  refuseUpgrade(socket: Duplex, err: RelayError): void;
  /** Answer a plain HTTP request with the JSON error body and its status. */
  refuseHttp(res: ServerResponse, err: RelayError): void;
}

/** An extra upgrade endpoint on the media listener (e.g. /v1/telephony/twilio). */
export interface UpgradeRoute {
  matches(pathname: string): boolean;
  /** Authenticate before any handshake; refuse with ctx.refuseUpgrade on failure. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}

/** An extra plain-HTTP endpoint on the media listener (e.g. WHIP signalling, a demo page). */
export interface HttpRoute {
  matches(method: string, pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Something that also closes with the listener (e.g. a TCP listener for AudioSocket). */
export interface MediaModule {
  upgradeRoutes?: UpgradeRoute[];
  httpRoutes?: HttpRoute[];
  close?(): Promise<void>;
}

export type MediaModuleFactory = (ctx: MediaContext) => MediaModule | Promise<MediaModule>;
