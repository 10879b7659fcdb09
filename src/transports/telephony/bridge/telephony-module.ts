/**
 * The telephony ingress module of the media listener (architecture section 6): one upgrade
 * route per enabled carrier under `/v1/telephony/…` and, optionally, the AudioSocket TCP
 * listener. Carrier credentials are checked in the `upgrade` handler before any handshake
 * (`gate.ts`); a relay credential in the path is authenticated, authorized and admitted there
 * too, like the protocol-v1 path. Each connection becomes a `CarrierCall`.
 */
import type { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Heartbeat } from '../../../core/heartbeat.js';
import { RelayError, toRelayError } from '../../../errors/errors.js';
import type {
  AdmissionLease,
  MediaContext,
  MediaModule,
  MediaModuleFactory,
  UpgradeRoute,
} from '../../ports.js';
import { CARRIER_ENDPOINTS, carrierForPath } from '../endpoints.js';
import { createSerializer } from '../serializers.js';
import type { StartEvent } from '../types.js';
import { CarrierCall, type DeferredAuth, type ReadyAuth } from './carrier-call.js';
import type { CarrierWire } from './carrier-transport.js';
import { addressAllowed, gateUpgrade } from './gate.js';
import {
  resolveOptions,
  type AudioSocketListenerOptions,
  type ResolvedTelephonyOptions,
  type TelephonyCarriersOptions,
  type TelephonyModuleOptions,
  type WsCarrierName,
} from './options.js';

const WS_CARRIERS: readonly WsCarrierName[] = [
  'twilio',
  'telnyx',
  'vonage',
  'plivo',
  'exotel',
  'jambonz',
  'freeswitch',
  'asterisk-ws',
];

/** How long a closing TCP peer gets to close its side before the socket is destroyed. */
const TCP_CLOSE_GRACE_MS = 2_000;

/** Throws RELAY_ERR_CONFIG for options that could never authenticate a call. */
export function validateTelephonyOptions(o: TelephonyModuleOptions): void {
  const bad = (message: string): never => {
    throw new RelayError('RELAY_ERR_CONFIG', message);
  };
  const tw = o.carriers?.twilio;
  if (tw !== undefined && tw.authToken === '') {
    bad('telephony: carriers.twilio.authToken is required');
  }
  for (const name of WS_CARRIERS) {
    const c = o.carriers?.[name];
    if (c?.serviceToken === '') {
      bad(`telephony: carriers.${name}.serviceToken is empty`);
    }
  }
  const as = o.audioSocket;
  if (as !== undefined) {
    if (!Number.isInteger(as.port) || as.port < 0 || as.port > 65535) {
      bad('telephony: audioSocket.port must be 0..65535');
    }
    if (as.calls === undefined && as.serviceToken === undefined) {
      bad('telephony: audioSocket needs `calls` (UUID → credential) or `serviceToken`');
    }
    if (as.serviceToken !== undefined && (as.allowedAddresses ?? []).length === 0) {
      bad('telephony: audioSocket.serviceToken needs allowedAddresses (the protocol has no auth)');
    }
  }
}

function wsWire(ws: WebSocket): CarrierWire {
  return {
    send(message) {
      if (ws.readyState === ws.OPEN) {
        ws.send(message, { binary: typeof message !== 'string' });
      }
    },
    close(code, reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        ws.close(code, reason.slice(0, 120));
      }
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get open() {
      return ws.readyState === ws.OPEN;
    },
  };
}

function tcpWire(sock: Socket): CarrierWire {
  let closing = false;
  return {
    send(message) {
      if (!closing && sock.writable) {
        sock.write(typeof message === 'string' ? Buffer.from(message, 'utf8') : message);
      }
    },
    close() {
      if (closing) {
        return;
      }
      closing = true;
      sock.end();
      setTimeout(() => sock.destroy(), TCP_CLOSE_GRACE_MS).unref();
    },
    get bufferedAmount() {
      return sock.writableLength;
    },
    get open() {
      return !closing && !sock.destroyed && sock.writable;
    },
  };
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) {
    return data;
  }
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

class TelephonyModule implements MediaModule {
  readonly #ctx: MediaContext;
  readonly #s: ResolvedTelephonyOptions;
  readonly #carriers: TelephonyCarriersOptions;
  readonly #log: Logger;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  readonly #tcpSockets = new Set<Socket>();
  readonly #heartbeat: Heartbeat;
  #tcp: Server | undefined;
  #closed = false;

  constructor(ctx: MediaContext, o: TelephonyModuleOptions) {
    this.#ctx = ctx;
    this.#s = resolveOptions(o);
    this.#carriers = o.carriers ?? {};
    // The media logger already names its module: add the ingress, never a second `module`.
    this.#log = ctx.logger.child({ ingress: 'telephony' });
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.#s.maxPayloadBytes,
      clientTracking: false,
      handleProtocols: (protocols, req) => {
        const carrier = carrierForPath(new URL(req.url ?? '/', 'http://relay.invalid').pathname);
        const wanted = carrier === undefined ? undefined : CARRIER_ENDPOINTS[carrier].subprotocol;
        return wanted !== undefined && protocols.has(wanted) ? wanted : false;
      },
    });
    this.#heartbeat = new Heartbeat(this.#s.heartbeatMs, ctx.ticker);
  }

  get upgradeRoutes(): UpgradeRoute[] {
    return [
      {
        matches: (pathname) => {
          const c = carrierForPath(pathname);
          return c !== undefined && c !== 'audiosocket' && this.#carriers[c] !== undefined;
        },
        handle: (req, socket, head) => this.#onUpgrade(req, socket, head),
      },
    ];
  }

  async listenAudioSocket(o: AudioSocketListenerOptions): Promise<void> {
    const server = createServer((sock) => this.#onTcp(sock, o));
    server.on('error', (err) =>
      this.#log.error({ err: String(err) }, 'audiosocket listener error'),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#tcp = server;
    const addr = server.address() as AddressInfo;
    this.#log.info({ address: addr.address, port: addr.port }, 'audiosocket listening');
    o.onListening?.(addr);
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#heartbeat.stop();
    for (const ws of this.#sockets) {
      ws.terminate();
    }
    for (const s of this.#tcpSockets) {
      s.destroy();
    }
    const tcp = this.#tcp;
    if (tcp !== undefined) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const ctx = this.#ctx;
    let lease: AdmissionLease | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://relay.invalid');
      const carrier = carrierForPath(url.pathname);
      const cfg =
        carrier === undefined || carrier === 'audiosocket' ? undefined : this.#carriers[carrier];
      if (carrier === undefined || carrier === 'audiosocket' || cfg === undefined) {
        throw new RelayError('RELAY_ERR_NOT_FOUND', 'no upgrade endpoint at this path');
      }
      if (this.#closed) {
        throw new RelayError('RELAY_ERR_DRAINING', 'relay is draining; reconnect to another node');
      }
      ctx.gate.assertOpen();
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        throw new RelayError('RELAY_ERR_BAD_REQUEST', 'expected Upgrade: websocket');
      }
      const decision = gateUpgrade(carrier, this.#carriers, req, url.pathname);
      const queryPipeline = url.searchParams.get('pipeline') ?? '';
      let auth: ReadyAuth | DeferredAuth;
      if (decision.kind === 'path-token') {
        lease = await ctx.gate.admit({
          credential: {
            kind: 'token',
            token: decision.token,
            source: this.#s.pathTokens === 'any' ? 'authorization' : 'query',
          },
          pipeline: queryPipeline || (cfg.pipeline ?? this.#s.defaultPipeline),
          gone: () => socket.destroyed,
        });
        auth = { kind: 'ready', lease };
      } else {
        const serviceToken = cfg.serviceToken;
        auth = {
          kind: 'deferred',
          pipeline: queryPipeline === '' ? undefined : queryPipeline,
          carrierPipeline: cfg.pipeline,
          credential: (start: StartEvent) => start.customParameters['token'] ?? serviceToken,
        };
      }
      const l = lease;
      // ws answers a malformed handshake itself and never calls back: give the slot back
      // (nothing once the call committed it).
      socket.once('close', () => l?.release());
      const serializer = createSerializer(carrier, cfg.serializer ?? {});
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        ctx.metrics.upgrades.labels('ok').inc();
        this.#attach(ws, carrier, serializer, auth);
      });
    } catch (err) {
      lease?.release();
      if (socket.destroyed) {
        return; // the carrier left while it was being admitted
      }
      const e = toRelayError(err);
      if (e.code === 'RELAY_ERR_INTERNAL') {
        this.#log.error({ err: e.message }, 'carrier upgrade failed');
      }
      ctx.refuseUpgrade(socket, e);
    }
  }

  #attach(
    ws: WebSocket,
    carrier: WsCarrierName,
    serializer: ReturnType<typeof createSerializer>,
    auth: ReadyAuth | DeferredAuth,
  ): void {
    if (this.#closed) {
      ws.terminate();
      if (auth.kind === 'ready') {
        auth.lease.release();
      }
      return;
    }
    this.#sockets.add(ws);
    const call = new CarrierCall({
      carrier,
      serializer,
      wire: wsWire(ws),
      ctx: this.#ctx,
      logger: this.#log.child({ carrier }),
      settings: this.#s,
      auth,
    });
    this.#heartbeat.watch(ws, () => call.heartbeatMissed());
    ws.on('message', (data: RawData, isBinary: boolean) =>
      call.onMessage(asBuffer(data), isBinary),
    );
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for oversized messages, 1002 for bad frames).
      this.#log.debug({ carrier, code: err.code }, 'carrier websocket error');
    });
    ws.on('close', (code: number) => {
      this.#sockets.delete(ws);
      this.#heartbeat.forget(ws);
      call.onClosed(code);
    });
  }

  #onTcp(sock: Socket, o: AudioSocketListenerOptions): void {
    sock.on('error', () => undefined);
    const allowed = o.allowedAddresses;
    if (this.#closed || this.#ctx.draining()) {
      this.#ctx.metrics.upgrades.labels('503').inc();
      sock.destroy();
      return;
    }
    if (
      allowed !== undefined &&
      allowed.length > 0 &&
      !addressAllowed(allowed, sock.remoteAddress)
    ) {
      this.#ctx.metrics.upgrades.labels('403').inc();
      sock.destroy();
      return;
    }
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 10_000);
    this.#tcpSockets.add(sock);
    const calls = o.calls;
    const serviceToken = o.serviceToken;
    const auth: DeferredAuth = {
      kind: 'deferred',
      pipeline: undefined,
      carrierPipeline: o.pipeline,
      credential: async (start: StartEvent) => {
        const uuid = (start.callId ?? '').toLowerCase();
        let token: string | undefined;
        if (typeof calls === 'function') {
          token = await calls(uuid);
        } else if (calls !== undefined && Object.hasOwn(calls, uuid)) {
          token = calls[uuid];
        }
        return token ?? serviceToken;
      },
    };
    this.#ctx.metrics.upgrades.labels('ok').inc();
    const call = new CarrierCall({
      carrier: 'audiosocket',
      serializer: createSerializer('audiosocket', o.serializer ?? {}),
      wire: tcpWire(sock),
      ctx: this.#ctx,
      logger: this.#log.child({ carrier: 'audiosocket' }),
      settings: this.#s,
      auth,
    });
    sock.on('data', (data: Buffer) => call.onMessage(data, true));
    sock.on('close', () => {
      this.#tcpSockets.delete(sock);
      call.onClosed(1000);
    });
  }
}

/**
 * The telephony ingress as a media-listener module: pass it to `startRelay(config, logger,
 * { modules: [createTelephonyModule(options)] })` (or add it to `DEFAULT_MEDIA_MODULES`).
 * Options are checked here (RELAY_ERR_CONFIG); the AudioSocket listener starts when the
 * media listener loads its modules and stops with it.
 */
export function createTelephonyModule(options: TelephonyModuleOptions): MediaModuleFactory {
  validateTelephonyOptions(options);
  return async (ctx) => {
    const m = new TelephonyModule(ctx, options);
    if (options.audioSocket !== undefined) {
      try {
        await m.listenAudioSocket(options.audioSocket);
      } catch (err) {
        await m.close();
        throw err;
      }
    }
    return m;
  };
}
