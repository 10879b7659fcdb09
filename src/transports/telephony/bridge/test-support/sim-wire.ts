/** Simulated carriers: the shared wire types, codecs, links and JSON helpers. */
import { connect as tcpConnect, type Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../../media/codecs/g711.js';
import type { CarrierName, WireMessage } from '../../types.js';

export type SimEncoding = 'pcm16' | 'pcm16be' | 'mulaw' | 'alaw';

export interface SimAudio {
  encoding: SimEncoding;
  rate: number;
  channels: number;
}

export type Outbound =
  | { kind: 'audio'; pcm: Buffer; rate: number; wireBytes: number; note?: string }
  | { kind: 'mark'; name: string }
  | { kind: 'clear' }
  | { kind: 'hangup' }
  | { kind: 'unknown'; text: string };

export interface Link {
  send(m: WireMessage): void;
  close(): void;
  readonly closed: Promise<number>;
  readonly isOpen: boolean;
  onMessage: (data: Buffer, isBinary: boolean) => void;
}

export interface Target {
  /** host:port of the media listener. */
  media: string;
  audioSocketPort?: number | undefined;
}

export interface CarrierProtocol {
  readonly carrier: CarrierName;
  /** Identifies the call on the relay side (call id or a `call` custom parameter). */
  readonly callKey: string;
  readonly input: SimAudio & { chunkMs: number };
  readonly output: SimAudio;
  readonly caps: { marks: boolean; clear: boolean; dtmf: boolean };
  connect(t: Target): Promise<Link>;
  opening(): WireMessage[];
  media(payload: Buffer, index: number, tsMs: number): WireMessage;
  parse(data: Buffer, isBinary: boolean): Outbound[];
  markAck(name: string): WireMessage[];
  clearAck(pending: string[]): WireMessage[];
  dtmf(digit: string): WireMessage[];
  /** What the carrier sends when the caller hangs up (then it closes the socket). */
  hangup(): WireMessage[];
}

// ---- codecs (carrier side) -------------------------------------------------------------

export function encodeSim(a: SimAudio, pcm: Buffer): Buffer {
  let mono: Buffer;
  switch (a.encoding) {
    case 'mulaw':
      mono = mulawEncode(pcm);
      break;
    case 'alaw':
      mono = alawEncode(pcm);
      break;
    case 'pcm16':
      mono = Buffer.from(pcm);
      break;
    case 'pcm16be':
      mono = Buffer.from(pcm).swap16();
      break;
  }
  if (a.channels === 1) {
    return mono;
  }
  const w = a.encoding === 'mulaw' || a.encoding === 'alaw' ? 1 : 2;
  const out = Buffer.alloc(mono.length * a.channels);
  for (let i = 0; i < mono.length / w; i++) {
    for (let c = 0; c < a.channels; c++) {
      // The caller on channel 0; the other leg silent.
      if (c === 0) {
        mono.copy(out, (i * a.channels + c) * w, i * w, (i + 1) * w);
      } else if (w === 1) {
        out[(i * a.channels + c) * w] = a.encoding === 'mulaw' ? 0xff : 0xd5;
      }
    }
  }
  return out;
}

export function decodeSim(a: SimAudio, bytes: Buffer): Buffer {
  switch (a.encoding) {
    case 'mulaw':
      return mulawDecode(bytes);
    case 'alaw':
      return alawDecode(bytes);
    case 'pcm16':
      return Buffer.from(bytes);
    case 'pcm16be':
      return Buffer.from(bytes).swap16();
  }
}

export function bytesPerMs(a: SimAudio): number {
  const w = a.encoding === 'mulaw' || a.encoding === 'alaw' ? 1 : 2;
  return (a.rate / 1000) * w * a.channels;
}

// ---- links -----------------------------------------------------------------------------

export class UpgradeRefusedError extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with ${status}`);
  }
}

export function wsLink(
  url: string,
  o: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<Link> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, o.protocols ?? [], { headers: o.headers ?? {} });
    let onMessage: Link['onMessage'] = () => undefined;
    const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
    const link: Link = {
      send: (m) => {
        if (ws.readyState === ws.OPEN) {
          ws.send(m, { binary: typeof m !== 'string' });
        }
      },
      close: () => ws.close(1000),
      closed,
      get isOpen() {
        return ws.readyState === ws.OPEN;
      },
      get onMessage() {
        return onMessage;
      },
      set onMessage(f) {
        onMessage = f;
      },
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const b = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      onMessage(b, isBinary);
    });
    ws.once('open', () => resolve(link));
    ws.once('unexpected-response', (_req, res) => {
      reject(new UpgradeRefusedError(res.statusCode ?? 0));
      res.resume();
    });
    ws.once('error', (err) => reject(err));
  });
}

export function tcpLink(port: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    const sock: Socket = tcpConnect(port, '127.0.0.1');
    let onMessage: Link['onMessage'] = () => undefined;
    let open = false;
    const closed = new Promise<number>((r) => sock.once('close', () => r(1000)));
    sock.on('error', () => undefined);
    const link: Link = {
      send: (m) => {
        if (open) {
          sock.write(typeof m === 'string' ? Buffer.from(m) : m);
        }
      },
      close: () => {
        open = false;
        sock.end();
      },
      closed,
      get isOpen() {
        return open && !sock.destroyed;
      },
      get onMessage() {
        return onMessage;
      },
      set onMessage(f) {
        onMessage = f;
      },
    };
    sock.on('data', (d: Buffer) => onMessage(d, true));
    sock.once('connect', () => {
      open = true;
      sock.setNoDelay(true);
      resolve(link);
    });
    sock.once('error', reject);
  });
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function json(v: unknown): string {
  return JSON.stringify(v);
}

export function textOf(data: Buffer): string {
  return data.toString('utf8');
}

export function parseJson(data: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(textOf(data));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function str(o: unknown, ...path: string[]): string | undefined {
  let cur: unknown = o;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === 'string' ? cur : undefined;
}

export function num(o: unknown, ...path: string[]): number | undefined {
  let cur: unknown = o;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === 'number' ? cur : undefined;
}

export function audioOut(a: SimAudio, bytes: Buffer, note?: string): Outbound {
  return {
    kind: 'audio',
    pcm: decodeSim({ ...a, channels: 1 }, bytes),
    rate: a.rate,
    wireBytes: bytes.length,
    ...(note === undefined ? {} : { note }),
  };
}
