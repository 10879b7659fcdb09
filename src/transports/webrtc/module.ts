import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RTCIceServer } from 'werift';
import { SCOPES, type Principal } from '../../auth/principal.js';
import type { RequestLike } from '../../auth/extract.js';
import { isLoopbackAddress } from '../../auth/loopback.js';
import { RelayError, toRelayError } from '../../errors/errors.js';
import type { AdmissionLease, HttpRoute, MediaContext, MediaModule } from '../ports.js';
import { demoPageHtml, type DemoInfo } from './demo-page.js';
import type { OpusEncoderOptions } from './opus.js';
import { WebRtcPeer, type WebRtcPeerConfig } from './peer.js';
import { addressMatcher, offerProblem } from './sdp.js';

export interface WebRtcDemoOptions {
  /**
   * Base URL of the management gateway whose `POST /v1/tokens/dev` the demo's token route
   * proxies to (a function when it is only known after start, e.g. port 0 in tests).
   */
  gatewayUrl: string | (() => string | undefined);
  /** Pipeline the page selects by default (default "default"). */
  pipeline?: string;
  /** Path of the page (default "/demo"); its token route is `${path}/token`. */
  path?: string;
  /** What the page shows: which engine runs each stage of each pipeline, things to say. */
  info?: () => DemoInfo;
}

export interface WebRtcModuleOptions {
  /** Signalling path (default "/v1/webrtc"): POST here, DELETE `${path}/<sessionId>`. */
  path?: string;
  /** STUN/TURN servers for werift (default none: werift's own default is Google STUN). */
  iceServers?: RTCIceServer[];
  /**
   * Local addresses werift gathers host candidates on, in addition to the NICs it finds
   * itself (it skips loopback unless listed). Default ["127.0.0.1"].
   */
  hostAddresses?: string[];
  /**
   * Local addresses (IPs or CIDRs) allowed in the answer and on the local side of candidate
   * pairs; every other `a=candidate` is stripped. Default: `hostAddresses` (loopback only).
   * For a reachable relay list its public/LAN addresses, e.g. ["10.0.0.0/8"].
   */
  allowedLocalAddresses?: string[];
  /** Remote addresses (IPs or CIDRs) ICE may pair with. Default: any. */
  allowedRemoteAddresses?: string[];
  iceUseIpv6?: boolean;
  /** UDP port range for ICE (min < max). Default: ephemeral ports. */
  icePortRange?: [number, number];
  /** A peer with no inbound RTP for this long is ended (also: never connected). Default 15 s. */
  idleTimeoutMs?: number;
  /** ICE gathering limit before answering. Default 5 s. */
  gatherTimeoutMs?: number;
  /** Largest SDP offer accepted (413 beyond). Default 64 KiB. */
  maxOfferBytes?: number;
  /** Time allowed to receive the offer body. Default 5 s. */
  bodyTimeoutMs?: number;
  /** How long `session.closing` gets to leave before the connection is closed. Default 250 ms. */
  closeGraceMs?: number;
  /** Events held until the `events` channel opens. Default 256. */
  maxQueuedEvents?: number;
  /** Data-channel send backlog at which the session is closed 4008. Default 1 MiB. */
  maxEventBufferBytes?: number;
  /** Largest client event on the data channel. Default 16 KiB. */
  maxEventBytes?: number;
  /**
   * Client events per second (token bucket, burst 2 s): excess events are dropped, and a
   * second's worth of excess ends the session with 1008 (the relay's one rate policy).
   */
  maxEventsPerSecond?: number;
  /** Reply audio encoder settings. */
  opus?: OpusEncoderOptions;
  /** Serve the browser demo page (and its same-origin dev-token route). Off by default. */
  demo?: WebRtcDemoOptions;
}

const DEFAULT_PATH = '/v1/webrtc';
/** Ended sessions remembered so a late DELETE answers 204, not 404 (bounded). */
const ENDED_KEPT = 1024;
/** The demo's favicon: a small speech-bubble glyph (SVG). */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="4" width="28" height="19" rx="6" fill="#2f81f7"/><path d="M9 23l-2 7 8-7z" fill="#2f81f7"/><path d="M9 14h2M13 10v8M17 8v12M21 11v6M25 13v2" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>';
const SDP_TYPE = 'application/sdp';

function resolvePeerConfig(o: WebRtcModuleOptions): WebRtcPeerConfig {
  const hostAddresses = o.hostAddresses ?? ['127.0.0.1'];
  const range = o.icePortRange;
  if (range !== undefined && !(range[0] > 0 && range[0] < range[1] && range[1] <= 65535)) {
    throw new RangeError('icePortRange must be [min, max] with 0 < min < max ≤ 65535');
  }
  return {
    iceServers: o.iceServers ?? [],
    hostAddresses,
    iceUseIpv6: o.iceUseIpv6 ?? false,
    icePortRange: range,
    allowLocal: addressMatcher(o.allowedLocalAddresses ?? hostAddresses),
    allowRemote:
      o.allowedRemoteAddresses === undefined ? undefined : addressMatcher(o.allowedRemoteAddresses),
    gatherTimeoutMs: o.gatherTimeoutMs ?? 5_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 15_000,
    closeGraceMs: o.closeGraceMs ?? 250,
    maxQueuedEvents: o.maxQueuedEvents ?? 256,
    maxEventBufferBytes: o.maxEventBufferBytes ?? 1024 * 1024,
    maxEventBytes: o.maxEventBytes ?? 16 * 1024,
    maxEventsPerSecond: o.maxEventsPerSecond ?? 50,
    opus: o.opus ?? {},
  };
}

/**
 * WebRTC ingress on the media listener (architecture section 6): WHIP-style signalling,
 * one werift peer per session, and the optional demo page.
 *
 * Every live peer is ticked every 20 ms from the relay's one shared ticker (the media
 * context hands it over): never a timer per session, never a second ticker.
 */
export class WebRtcModule implements MediaModule {
  readonly httpRoutes: HttpRoute[];
  readonly #ctx: MediaContext;
  readonly #path: string;
  readonly #peerConfig: WebRtcPeerConfig;
  readonly #o: WebRtcModuleOptions;
  readonly #peers = new Set<WebRtcPeer>();
  readonly #bySession = new Map<string, WebRtcPeer>();
  /** Recently ended session id → tenant (insertion order, bounded). */
  readonly #ended = new Map<string, string>();
  #unsubscribeTick: (() => void) | undefined;
  #closing = false;

  constructor(ctx: MediaContext, o: WebRtcModuleOptions = {}) {
    this.#ctx = ctx;
    this.#o = o;
    this.#path = (o.path ?? DEFAULT_PATH).replace(/\/+$/, '');
    this.#peerConfig = resolvePeerConfig(o);
    const base = this.#path;
    const prefix = `${base}/`;
    this.httpRoutes = [
      {
        matches: (method, pathname) => method === 'POST' && pathname === base,
        handle: (req, res) => this.#handleOffer(req, res),
      },
      {
        matches: (method, pathname) =>
          method === 'DELETE' && pathname.startsWith(prefix) && pathname.length > prefix.length,
        handle: (req, res) => this.#handleDelete(req, res),
      },
    ];
    if (o.demo !== undefined) {
      const demo = o.demo;
      const page = (demo.path ?? '/demo').replace(/\/+$/, '');
      const html = (): string =>
        demoPageHtml({
          pipeline: demo.pipeline ?? 'default',
          signallingPath: base,
          tokenPath: `${page}/token`,
          ...(demo.info?.() ?? { engines: {}, say: [] }),
        });
      this.httpRoutes.push(
        {
          // Development mode: the root leads to the demo page.
          matches: (method, pathname) =>
            (method === 'GET' || method === 'HEAD') && pathname === '/',
          handle: (_req, res) => {
            res.writeHead(302, { location: page, 'content-length': '0' });
            res.end();
            return Promise.resolve();
          },
        },
        {
          matches: (method, pathname) =>
            (method === 'GET' || method === 'HEAD') &&
            (pathname === '/favicon.ico' || pathname === '/favicon.svg'),
          handle: (_req, res) => {
            res.writeHead(200, {
              'content-type': 'image/svg+xml',
              'cache-control': 'public, max-age=86400',
            });
            res.end(FAVICON_SVG);
            return Promise.resolve();
          },
        },
        {
          matches: (method, pathname) =>
            (method === 'GET' || method === 'HEAD') &&
            (pathname === page || pathname === `${page}/`),
          handle: (_req, res) => {
            res.writeHead(200, {
              'content-type': 'text/html; charset=utf-8',
              'cache-control': 'no-store',
              'content-security-policy':
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; media-src 'self' blob: mediastream:; img-src 'self' data:",
              'x-content-type-options': 'nosniff',
            });
            res.end(html());
            return Promise.resolve();
          },
        },
        {
          // The same facts for the CLI client: engines per pipeline, things to say.
          matches: (method, pathname) => method === 'GET' && pathname === `${page}/info`,
          handle: (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
            res.end(JSON.stringify(demo.info?.() ?? { engines: {}, say: [] }));
            return Promise.resolve();
          },
        },
        {
          matches: (method, pathname) => method === 'POST' && pathname === `${page}/token`,
          handle: (req, res) => {
            // Dev tokens for whoever can reach the page: only from this machine.
            if (!isLoopbackAddress(req.socket.remoteAddress)) {
              throw new RelayError('RELAY_ERR_FORBIDDEN', 'the demo token route is loopback-only');
            }
            return this.#proxyDevToken(res, demo);
          },
        },
      );
    }
  }

  /** Live werift peer connections (not yet closed and released). */
  get peerCount(): number {
    return this.#peers.size;
  }

  /** Session ids with a live peer. */
  get sessionIds(): string[] {
    return [...this.#bySession.keys()];
  }

  peerOf(sessionId: string): WebRtcPeer | undefined {
    return this.#bySession.get(sessionId);
  }

  /** Resolves once no peer is left (or after `timeoutMs`, false). */
  async waitForNoPeers(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#peers.size > 0) {
      if (Date.now() >= deadline) {
        return false;
      }
      await new Promise<void>((r) => setTimeout(r, 20));
    }
    return true;
  }

  async close(): Promise<void> {
    this.#closing = true;
    const all = [...this.#peers];
    for (const p of all) {
      p.session?.end(1001, 'server shutting down');
    }
    await Promise.all(all.map((p) => p.destroy()));
    this.#unsubscribeTick?.();
    this.#unsubscribeTick = undefined;
  }

  // ── signalling ────────────────────────────────────────────────────────────────────

  async #authenticate(req: IncomingMessage): Promise<Principal> {
    const auth = await this.#ctx.authenticator.authenticateRequest(requestLike(req));
    return auth.principal;
  }

  async #handleOffer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ctx = this.#ctx;
    let gone = false;
    res.once('close', () => {
      gone = !res.writableFinished;
    });
    let lease: AdmissionLease | undefined;
    let peer: WebRtcPeer | undefined;
    try {
      if (this.#closing) {
        throw new RelayError('RELAY_ERR_DRAINING', 'relay is draining; reconnect to another node');
      }
      ctx.gate.assertOpen();
      const url = new URL(req.url ?? '/', 'http://relay.invalid');
      const pipelineName = url.searchParams.get('pipeline');
      if (pipelineName === null || pipelineName === '') {
        throw new RelayError('RELAY_ERR_BAD_REQUEST', 'missing ?pipeline=NAME');
      }
      let offer = '';
      lease = await ctx.gate.admit({
        credential: { kind: 'request', request: requestLike(req) },
        pipeline: pipelineName,
        beforeAdmit: async () => {
          const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
          if (type !== SDP_TYPE) {
            throw new RelayError('RELAY_ERR_BAD_REQUEST', `Content-Type must be ${SDP_TYPE}`);
          }
          offer = await readBody(
            req,
            this.#o.maxOfferBytes ?? 64 * 1024,
            this.#o.bodyTimeoutMs ?? 5_000,
          );
          const problem = offerProblem(offer);
          if (problem !== undefined) {
            throw new RelayError('RELAY_ERR_BAD_REQUEST', problem);
          }
        },
        gone: () => gone,
      });
      peer = this.#newPeer(lease.config.audio.sampleRateHz, lease.sessionId);
      const answer = await peer.negotiate(offer);
      if (this.#closing) {
        throw new RelayError('RELAY_ERR_DRAINING', 'relay is draining');
      }
      const session = lease.commit(peer);
      this.#bySession.set(session.id, peer);
      peer.attach(session);
      ctx.metrics.upgrades.labels('ok').inc();
      res.writeHead(201, {
        'content-type': SDP_TYPE,
        location: `${this.#path}/${session.id}`,
        'cache-control': 'no-store',
      });
      res.end(answer);
    } catch (err) {
      if (peer !== undefined && peer.session === undefined) {
        void peer.destroy();
      }
      lease?.release();
      this.#refuse(req, res, err);
    }
  }

  async #handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const pathname = new URL(req.url ?? '/', 'http://relay.invalid').pathname;
      const id = decodeURIComponent(pathname.slice(this.#path.length + 1));
      const principal = await this.#authenticate(req);
      const peer = this.#bySession.get(id);
      const session = peer?.session;
      if (session === undefined && this.#ended.get(id) === principal.tenant) {
        // Already ended (by the server, or a repeated DELETE): nothing left to do.
        res.writeHead(204, { 'cache-control': 'no-store' });
        res.end();
        return;
      }
      // Another tenant's session is reported as absent, not as forbidden.
      if (session === undefined || session.principal.tenant !== principal.tenant) {
        throw new RelayError('RELAY_ERR_NOT_FOUND', 'no such WebRTC session');
      }
      this.#ctx.authenticator.authorize(principal, {
        scope: SCOPES.SESSION_CREATE,
        pipeline: session.config.name,
      });
      session.end(1000, 'ended by the client (DELETE)');
      res.writeHead(200, { 'content-length': '0', 'cache-control': 'no-store' });
      res.end();
    } catch (err) {
      this.#refuse(req, res, err);
    }
  }

  #refuse(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const e = toRelayError(err);
    if (e.code === 'RELAY_ERR_INTERNAL') {
      this.#ctx.logger.error({ err: e.message }, 'webrtc signalling failed');
    }
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    if (!req.complete) {
      // The body was not read (refused early or too large): do not keep the connection.
      res.setHeader('connection', 'close');
    }
    const retryable =
      e.code === 'RELAY_ERR_RATE_LIMITED' ||
      e.code === 'RELAY_ERR_DRAINING' ||
      e.code === 'RELAY_ERR_OVERLOADED';
    if (retryable) {
      const ms = e.details?.['retryAfterMs'];
      res.setHeader(
        'retry-after',
        String(Math.max(1, Math.ceil((typeof ms === 'number' ? ms : 1000) / 1000))),
      );
    }
    this.#ctx.refuseHttp(res, e);
  }

  #newPeer(pipelineRateHz: number, sessionId: string): WebRtcPeer {
    const peer = new WebRtcPeer({
      config: this.#peerConfig,
      pipelineRateHz,
      metrics: this.#ctx.metrics,
      logger: this.#ctx.logger.child({ module: 'webrtc', sessionId }),
      onReleased: (p) => {
        this.#peers.delete(p);
        const id = p.session?.id;
        if (id !== undefined && this.#bySession.get(id) === p) {
          this.#bySession.delete(id);
          this.#ended.set(id, p.session?.principal.tenant ?? '');
          if (this.#ended.size > ENDED_KEPT) {
            const oldest = this.#ended.keys().next().value;
            if (oldest !== undefined) {
              this.#ended.delete(oldest);
            }
          }
        }
        if (this.#peers.size === 0) {
          this.#unsubscribeTick?.();
          this.#unsubscribeTick = undefined;
        }
      },
    });
    this.#peers.add(peer);
    this.#unsubscribeTick ??= this.#ctx.ticker.subscribe(this.#tick);
    return peer;
  }

  readonly #tick = (now: number): void => {
    for (const p of this.#peers) {
      p.tick(now);
    }
  };

  // ── demo ──────────────────────────────────────────────────────────────────────────

  /**
   * Same-origin route for the demo page: forwards to the gateway's `POST /v1/tokens/dev`
   * (a different origin without CORS headers) and returns its answer. Only this fixed
   * URL is ever fetched; nothing from the request is forwarded.
   */
  async #proxyDevToken(res: ServerResponse, demo: WebRtcDemoOptions): Promise<void> {
    const base = typeof demo.gatewayUrl === 'function' ? demo.gatewayUrl() : demo.gatewayUrl;
    if (base === undefined) {
      throw new RelayError('RELAY_ERR_CONFIG', 'the demo has no gateway URL configured');
    }
    let upstream: Response;
    try {
      upstream = await fetch(new URL('/v1/tokens/dev', base), {
        method: 'POST',
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      throw new RelayError('RELAY_ERR_STAGE_UNAVAILABLE', 'gateway unreachable', { cause: err });
    }
    const body = await upstream.text();
    if (upstream.status === 404) {
      throw new RelayError(
        'RELAY_ERR_NOT_FOUND',
        'dev tokens are off: start the relay with --dev-tokens to use the demo',
      );
    }
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    });
    res.end(body);
  }
}

function requestLike(req: IncomingMessage): RequestLike {
  return { headers: req.headers, rawHeaders: req.rawHeaders, url: req.url ?? '/' };
}

/** Reads a request body as UTF-8 up to `limit` bytes (413 beyond), within `timeoutMs`. */
async function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    throw new RelayError('RELAY_ERR_PAYLOAD_TOO_LARGE', `offer larger than ${limit} bytes`);
  }
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      finish(new RelayError('RELAY_ERR_BAD_REQUEST', 'timed out reading the offer'));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        finish(new RelayError('RELAY_ERR_PAYLOAD_TOO_LARGE', `offer larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (err: Error): void => finish(toRelayError(err, 'RELAY_ERR_BAD_REQUEST'));
    function finish(err?: RelayError): void {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err !== undefined) {
        req.pause();
        reject(err);
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** The ingress module factory for `startRelay(config, logger, { modules: [...] })`. */
export function createWebRtcModule(
  options: WebRtcModuleOptions = {},
): (ctx: MediaContext) => WebRtcModule {
  resolvePeerConfig(options); // validate at composition time
  return (ctx) => new WebRtcModule(ctx, options);
}
