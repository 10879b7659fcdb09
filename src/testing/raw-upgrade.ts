import { connect, type Socket } from 'node:net';

/** A WebSocket upgrade written by hand over TCP, to send what no client library would. */
export interface RawUpgradeOptions {
  /** host:port of the listener. */
  address: string;
  path: string;
  headers?: Record<string, string>;
  /** The Sec-WebSocket-Key to send (default a valid one). */
  key?: string;
}

function open(o: RawUpgradeOptions): Socket {
  const [host, port] = splitAddress(o.address);
  const sock = connect(port, host);
  const headers: Record<string, string> = {
    host: o.address,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': o.key ?? 'dGhlIHNhbXBsZSBub25jZQ==',
    ...o.headers,
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  sock.write(`GET ${o.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  return sock;
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}

/** Sends the upgrade and resolves with the HTTP status the server answered with. */
export function rawUpgradeStatus(o: RawUpgradeOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = open(o);
    let text = '';
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      text += chunk;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m !== null) {
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on('error', reject);
    sock.on('close', () => reject(new Error('closed without an HTTP status')));
  });
}

/** Sends the upgrade and closes the connection at once, before any answer. */
export function abandonedUpgrade(o: RawUpgradeOptions): Promise<void> {
  return new Promise((resolve) => {
    const sock = open(o);
    sock.on('error', () => undefined);
    sock.end(() => {
      sock.destroy();
      resolve();
    });
  });
}
