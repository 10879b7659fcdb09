/**
 * The loopback HTTP + WebSocket server under every provider fake: one
 * listener on 127.0.0.1:0, upgrades routed by path, refusals answered as
 * HTTP errors at the handshake (the way providers refuse: 401, 429...), and
 * each accepted socket recorded with what the client sent and how it closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface Refusal {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeConnection {
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly ws: WebSocket;
  /** Text frames the client sent, parsed as JSON. */
  readonly messages: Record<string, unknown>[];
  /** Binary bytes the client sent. */
  audioBytes: number;
  /** Resolves with the close code once the socket closed; `byClient` when the client closed first. */
  readonly closed: Promise<{ code: number; byClient: boolean }>;
  /** True once the server started closing (then a close is not the client's). */
  serverClosing: boolean;
}

export interface FakeServerHooks {
  /** Decide at the upgrade: a refusal, or undefined to accept. */
  refuse(req: IncomingMessage, url: URL): Refusal | undefined;
  /** An accepted socket. */
  accepted(conn: FakeConnection): void;
  /** Plain HTTP requests (REST fakes); 404 when absent. */
  http?(req: IncomingMessage, res: ServerResponse, body: Buffer): void;
}

export interface FakeServer {
  readonly port: number;
  /** http://127.0.0.1:port */
  readonly httpUrl: string;
  /** ws://127.0.0.1:port */
  readonly wsUrl: string;
  readonly connections: FakeConnection[];
  /** Resolves with the `n`-th (1-based) connection once it was accepted. */
  connection(n: number): Promise<FakeConnection>;
  close(): Promise<void>;
}

export async function startFakeServer(hooks: FakeServerHooks): Promise<FakeServer> {
  const connections: FakeConnection[] = [];
  const waiters: { n: number; resolve(c: FakeConnection): void }[] = [];
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      if (hooks.http === undefined) {
        res.writeHead(404).end();
      } else {
        hooks.http(req, res, Buffer.concat(parts));
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refusal = hooks.refuse(req, url);
    if (refusal !== undefined) {
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(refusal.body)),
        connection: 'close',
        ...refusal.headers,
      };
      socket.end(
        `HTTP/1.1 ${refusal.status} Refused\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n${refusal.body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = {
        url,
        headers: req.headers,
        ws,
        messages: [] as Record<string, unknown>[],
        audioBytes: 0,
        serverClosing: false,
      } as FakeConnection & { closed: Promise<{ code: number; byClient: boolean }> };
      (conn as { closed: FakeConnection['closed'] }).closed = new Promise((resolve) => {
        ws.on('close', (code: number) => resolve({ code, byClient: !conn.serverClosing }));
      });
      ws.on('error', () => undefined);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
        if (isBinary) {
          conn.audioBytes += bytes.length;
          return;
        }
        const text = bytes.toString('utf8');
        try {
          conn.messages.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          conn.messages.push({ invalid: text });
        }
      });
      connections.push(conn);
      hooks.accepted(conn);
      for (const w of waiters.filter((x) => x.n === connections.length)) {
        w.resolve(conn);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    connections,
    connection(n) {
      const c = connections[n - 1];
      if (c !== undefined) {
        return Promise.resolve(c);
      }
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) {
          c.terminate();
        }
        for (const s of sockets) {
          s.destroy();
        }
        wss.close();
        server.close(() => resolve());
      }),
  };
}

/** Close from the server side, recorded so the close is not counted as the client's. */
export function serverClose(conn: FakeConnection, code: number, reason: string): void {
  conn.serverClosing = true;
  conn.ws.close(code, reason);
}

/** Cut the connection without a close frame (a mid-stream disconnect). */
export function serverDrop(conn: FakeConnection): void {
  conn.serverClosing = true;
  conn.ws.terminate();
}

/** A 16-bit PCM tone (quiet, so it is audio but not loud), `ms` long. */
export function tonePcm(ms: number, rateHz: number, startSample = 0): Buffer {
  const n = Math.round((ms / 1000) * rateHz);
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const t = (startSample + i) / rateHz;
    b.writeInt16LE(Math.round(Math.sin(2 * Math.PI * 220 * t) * 3000), i * 2);
  }
  return b;
}
