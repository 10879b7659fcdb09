import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { ServerCredentials, type ConnectionInjector, type Server } from '@grpc/grpc-js';

/**
 * The TCP side of a sim server. Connections are accepted here and handed to
 * the gRPC server through a connection injector, so the sim keeps each client
 * socket and can destroy the one behind a call (`abortPeer`) to inject an
 * abrupt connection loss. Sockets are keyed as grpc-js reports a call's peer.
 */
export class SimListener {
  readonly host: string;
  readonly port: number;
  readonly #net: NetServer;
  readonly #injector: ConnectionInjector;
  readonly #sockets = new Map<string, Socket>();

  private constructor(host: string, port: number, net: NetServer, injector: ConnectionInjector) {
    this.host = host;
    this.port = port;
    this.#net = net;
    this.#injector = injector;
    net.on('connection', (socket) => this.#accept(socket));
  }

  /** Listen on host:port (0 = any free port) and feed connections to `server`. */
  static listen(server: Server, host: string, port: number): Promise<SimListener> {
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    const net = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      net.once('error', (err) => {
        injector.destroy();
        reject(err);
      });
      net.listen(port, host, () => {
        const addr = net.address();
        const bound = addr !== null && typeof addr === 'object' ? addr.port : port;
        resolve(new SimListener(host, bound, net, injector));
      });
    });
  }

  /** `host:port` for clients (IPv6 hosts in brackets). */
  get address(): string {
    return isIPv6(this.host) ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Destroy the connection of a call's peer at once (no GOAWAY, no RST_STREAM). */
  abortPeer(peer: string): boolean {
    const socket = this.#sockets.get(peer);
    if (socket === undefined) {
      return false;
    }
    socket.resetAndDestroy();
    return true;
  }

  /** Stop accepting connections (open ones stay). */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#net.listening) {
        resolve();
        return;
      }
      this.#net.close(() => resolve());
    });
  }

  /** Destroy every open connection. */
  destroyAll(): void {
    for (const socket of this.#sockets.values()) {
      socket.destroy();
    }
    this.#sockets.clear();
    this.#injector.destroy();
  }

  #accept(socket: Socket): void {
    const key = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
    this.#sockets.set(key, socket);
    socket.once('close', () => {
      if (this.#sockets.get(key) === socket) {
        this.#sockets.delete(key);
      }
    });
    this.#injector.injectConnection(socket);
  }
}
