import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { listenOn } from './listen.js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator.js';
import { WS_SUBPROTOCOL } from '../auth/extract.js';
import type { PipelineRegistry } from '../config/pipeline-registry.js';
import { nowMs } from '../core/clock.js';
import { Heartbeat } from '../core/heartbeat.js';
import { MessageRateLimiter } from '../core/rate-limit.js';
import { RelayError, toRelayError } from '../errors/errors.js';
import { httpStatusOf, wsCloseCodeOf } from '../errors/map.js';
import { bytesPerFrame } from '../frames/frames.js';
import type { Metrics } from '../observability/metrics.js';
import { SessionGate } from '../session/admission.js';
import type { SessionManager } from '../session/session-manager.js';
import type { Ticker } from '../core/ticker.js';
import { ClientClock } from '../transports/ws/client-clock.js';
import { parseClientEvent } from '../frames/client-events.js';
import { decodeFrame, reservedBitsSet } from '../transports/ws/wire.js';
import type {
  AdmissionLease,
  HttpRoute,
  MediaContext,
  MediaModule,
  MediaModuleFactory,
  SessionHandle,
  UpgradeRoute,
} from '../transports/ports.js';
import {
  DEFAULT_WS_BACKPRESSURE,
  WsTransport,
  type WsBackpressurePolicy,
} from '../transports/ws/ws-transport.js';

export interface MediaServerOptions {
  sessions: SessionManager;
  pipelines: PipelineRegistry;
  authenticator: Authenticator;
  metrics: Metrics;
  logger: Logger;
  /** The relay's one 20 ms ticker, handed to every ingress module. */
  ticker: Ticker;
  /** Allowed Origin values for browser upgrades; empty = any origin. */
  allowedOrigins: readonly string[];
  /** Largest WebSocket message accepted (bytes); bigger closes with 1009. */
  maxPayloadBytes: number;
  /** Ping interval; a peer that misses one pong is terminated. */
  heartbeatMs: number;
  /** Messages per second a client may send (token bucket, burst = 2 s worth). */
  maxMessagesPerSecond: number;
  backpressure?: WsBackpressurePolicy;
  /** Ingress modules adding upgrade and HTTP endpoints (WebRTC, carriers). */
  modules?: MediaModuleFactory[];
}

const SESSIONS_PATH = '/v1/sessions';

/**
 * The media listener: only upgrades. Authentication, authorization and admission run
 * in the HTTP `upgrade` handler; a refusal writes a status and a JSON body and destroys
 * the socket before any handshake, so no frame is ever read from a stranger.
 */
export class MediaServer {
  readonly #o: MediaServerOptions;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  readonly #heartbeat: Heartbeat;
  #draining = false;
  readonly #modules: MediaModule[] = [];
  readonly #upgradeRoutes: UpgradeRoute[] = [];
  readonly #httpRoutes: HttpRoute[] = [];
  readonly #gate: SessionGate;

  constructor(o: MediaServerOptions) {
    this.#o = o;
    this.#gate = new SessionGate({
      sessions: o.sessions,
      pipelines: o.pipelines,
      authenticator: o.authenticator,
      draining: () => this.#draining,
    });
    this.#heartbeat = new Heartbeat(o.heartbeatMs, o.ticker);
    this.#http = createServer((req, res) => {
      void this.#onRequest(req, res);
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: o.maxPayloadBytes,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#onUpgrade(req, socket, head);
    });
  }

  get httpServer(): Server {
    return this.#http;
  }

  /** What ingress modules use: the admission gate, the ticker, and the refusal helpers. */
  get context(): MediaContext {
    return {
      gate: this.#gate,
      authenticator: this.#o.authenticator,
      metrics: this.#o.metrics,
      logger: this.#o.logger,
      ticker: this.#o.ticker,
      draining: () => this.#gate.draining,
      refuseUpgrade: (socket, err) => this.#refuse(socket, err),
      refuseHttp: (res, err) => {
        this.#o.metrics.upgrades.labels(String(httpStatusOf(err))).inc();
        res.writeHead(httpStatusOf(err), { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: err.code, message: err.message } }));
      },
    };
  }

  /** Load the ingress modules (before listen). */
  async loadModules(): Promise<void> {
    for (const factory of this.#o.modules ?? []) {
      const m = await factory(this.context);
      this.#modules.push(m);
      this.#upgradeRoutes.push(...(m.upgradeRoutes ?? []));
      this.#httpRoutes.push(...(m.httpRoutes ?? []));
    }
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://relay.invalid').pathname;
    const route = this.#httpRoutes.find((r) => r.matches(req.method ?? 'GET', pathname));
    if (route !== undefined) {
      try {
        await route.handle(req, res);
      } catch (err) {
        const e = toRelayError(err);
        if (!res.headersSent) {
          this.context.refuseHttp(res, e);
        } else {
          res.destroy();
        }
      }
      return;
    }
    res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
    res.end(
      JSON.stringify({
        error: {
          code: 'RELAY_ERR_BAD_REQUEST',
          message: 'this listener only accepts WebSocket upgrades',
        },
      }),
    );
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    return listenOn(this.#http, port, host);
  }

  /** New upgrades get 503 from now on. */
  startDrain(): void {
    this.#draining = true;
  }

  async close(): Promise<void> {
    this.#heartbeat.stop();
    for (const m of this.#modules) {
      await m.close?.();
    }
    for (const ws of this.#sockets) {
      ws.terminate();
    }
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }

  #refuse(socket: Duplex, err: RelayError): void {
    const status = httpStatusOf(err);
    this.#o.metrics.upgrades.labels(String(status)).inc();
    const body = JSON.stringify({ error: { code: err.code, message: err.message } });
    const headers = [
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ];
    const retryAfterMs = err.details?.['retryAfterMs'];
    if (status === 429 || status === 503) {
      headers.push(
        `Retry-After: ${Math.max(1, Math.ceil((typeof retryAfterMs === 'number' ? retryAfterMs : 1000) / 1000))}`,
      );
    }
    if (socket.writable) {
      socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
    }
    socket.destroy();
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    let lease: AdmissionLease | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://relay.invalid');
      const route = this.#upgradeRoutes.find((r) => r.matches(url.pathname));
      if (route !== undefined) {
        await route.handle(req, socket, head);
        return;
      }
      if (url.pathname !== SESSIONS_PATH) {
        throw new RelayError('RELAY_ERR_NOT_FOUND', `no upgrade endpoint at ${url.pathname}`);
      }
      this.#gate.assertOpen();
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        throw new RelayError('RELAY_ERR_BAD_REQUEST', 'expected Upgrade: websocket');
      }
      const pipelineName = url.searchParams.get('pipeline');
      if (pipelineName === null || pipelineName === '') {
        throw new RelayError('RELAY_ERR_BAD_REQUEST', 'missing ?pipeline=NAME');
      }
      lease = await this.#gate.admit({
        credential: {
          kind: 'request',
          request: { headers: req.headers, rawHeaders: req.rawHeaders, url: req.url ?? '/' },
        },
        pipeline: pipelineName,
        beforeAdmit: ({ subprotocol }) => {
          this.#checkOrigin(req);
          if (subprotocol && !offered(req, WS_SUBPROTOCOL)) {
            throw new RelayError(
              'RELAY_ERR_BAD_REQUEST',
              `subprotocol credentials need "${WS_SUBPROTOCOL}" offered too`,
            );
          }
        },
        gone: () => socket.destroyed,
      });
      const l = lease;
      // ws answers a malformed handshake itself and never calls back: give the slot back.
      socket.once('close', () => l.release());
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.#o.metrics.upgrades.labels('ok').inc();
        this.#onConnection(ws, l);
      });
    } catch (err) {
      lease?.release();
      if (socket.destroyed) {
        return; // the client left while it was being admitted
      }
      const e = toRelayError(err);
      if (e.code === 'RELAY_ERR_INTERNAL') {
        this.#o.logger.error({ err: e.message }, 'upgrade failed');
      }
      this.#refuse(socket, e);
    }
  }

  #checkOrigin(req: IncomingMessage): void {
    const allowed = this.#o.allowedOrigins;
    const origin = req.headers.origin;
    if (allowed.length > 0 && origin !== undefined && !allowed.includes(origin)) {
      throw new RelayError('RELAY_ERR_FORBIDDEN', 'origin not allowed');
    }
  }

  #onConnection(ws: WebSocket, lease: AdmissionLease): void {
    const config = lease.config;
    const holder: { session?: SessionHandle } = {};
    const transport = new WsTransport(
      ws,
      this.#o.metrics,
      this.#o.backpressure ?? DEFAULT_WS_BACKPRESSURE,
      () => holder.session?.end(4008, 'client too slow to read audio'),
    );
    let s: SessionHandle;
    try {
      s = lease.commit(transport);
    } catch (err) {
      const e = toRelayError(err);
      ws.close(wsCloseCodeOf(e), e.message.slice(0, 120));
      return;
    }
    holder.session = s;
    this.#sockets.add(ws);
    // A peer that does not answer a ping within a heartbeat is not reading its socket (or
    // is gone): it hears why, in order, once it reads again (session.closing, then 4008).
    this.#heartbeat.watch(ws, () => s.end(4008, 'client not reading: heartbeat missed'));
    const clock = new ClientClock();
    const frameBytes = bytesPerFrame(config.audio.sampleRateHz);
    const limiter = new MessageRateLimiter(this.#o.maxMessagesPerSecond, nowMs());
    const metrics = this.#o.metrics;
    const badFrames = metrics.framesDropped.labels('bad_frame');
    const rateDropped = metrics.framesDropped.labels('rate_limited');

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const now = nowMs();
      const verdict = limiter.take(now);
      if (verdict !== 'ok') {
        rateDropped.inc();
        if (verdict === 'close') {
          s.end(1008, 'message rate limit exceeded');
        }
        return;
      }
      if (isBinary) {
        if (reservedBitsSet(data)) {
          // Another protocol version, or garbage: never played as audio.
          s.end(4002, 'protocol error: reserved frame header bits set');
          return;
        }
        const f = decodeFrame(data);
        if ('error' in f || f.payload.length !== frameBytes) {
          badFrames.inc();
          transport.sendEvent({
            type: 'error',
            code: 'RELAY_ERR_PROTOCOL',
            message:
              'error' in f
                ? f.error
                : `audio payload must be ${frameBytes} bytes (20 ms PCM16 at ${config.audio.sampleRateHz} Hz)`,
          });
          return;
        }
        metrics.framesIn.inc();
        s.pushFrame({
          seq: f.seq,
          captureTsMs: clock.map(f.timestampMs, now),
          arrivalTsMs: now,
          payload: f.payload,
          concealed: false,
        });
        return;
      }
      const parsed = parseClientEvent(data.toString('utf8'));
      if (!parsed.ok) {
        transport.sendEvent({ type: 'error', code: 'RELAY_ERR_PROTOCOL', message: parsed.message });
        return;
      }
      s.handleClientEvent(parsed.event);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for oversized messages, 1002 for bad frames).
      this.#o.logger.debug({ sessionId: s.id, code: err.code }, 'websocket error');
    });
    ws.on('close', (code: number) => {
      this.#sockets.delete(ws);
      this.#heartbeat.forget(ws);
      s.transportClosed(code, 'peer closed');
    });
  }
}

function offered(req: IncomingMessage, protocol: string): boolean {
  const h = req.headers['sec-websocket-protocol'];
  return h !== undefined && h.split(',').some((p) => p.trim() === protocol);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
