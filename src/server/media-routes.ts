import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator.js';
import type { PipelineRegistry } from '../config/pipeline-registry.js';
import type { RelayError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { SessionManager } from '../session/session-manager.js';

/** What an ingress module (WebRTC signalling, carrier sockets) gets from the media listener. */
export interface MediaContext {
  sessions: SessionManager;
  pipelines: PipelineRegistry;
  authenticator: Authenticator;
  metrics: Metrics;
  logger: Logger;
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
