import WebSocket from 'ws';
import type { ServerEvent } from '../frames/events.js';
import { FRAME_MS, bytesPerFrame } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import { decodeFrame, encodeFrame } from '../transports/ws/wire.js';
import { EventLog } from './event-log.js';

export type CredentialVia = 'header' | 'subprotocol' | 'query';

export interface RelayClientOptions {
  /** ws://host:port */
  url: string;
  pipeline: string;
  token: string;
  via?: CredentialVia;
  origin?: string;
}

export interface ReceivedAudio {
  seq: number;
  timestampMs: number;
  flags: number;
  payload: Buffer;
  atMs: number;
}

/** A refused upgrade: the HTTP status and the relay's JSON error. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; message?: string } },
    readonly headers: Record<string, string | string[] | undefined>,
  ) {
    super(`upgrade refused: ${status} ${body.error?.code ?? ''}`);
  }
}

/**
 * A protocol v1 client (CLI, tests, benchmarks): authenticates on the upgrade,
 * sends 20 ms PCM16 frames with the 12-byte header, collects events and reply audio.
 */
export class RelayClient {
  readonly ws: WebSocket;
  readonly log = new EventLog();
  readonly audio: ReceivedAudio[] = [];
  onAudio: ((a: ReceivedAudio) => void) | undefined;
  #seq = 0;
  #t0 = Date.now();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const f = decodeFrame(data);
        if (!('error' in f)) {
          const a = { ...f, atMs: nowMs() };
          this.audio.push(a);
          this.onAudio?.(a);
        }
        return;
      }
      this.log.push(JSON.parse(data.toString('utf8')) as ServerEvent);
    });
  }

  static connect(o: RelayClientOptions): Promise<RelayClient> {
    const via = o.via ?? 'header';
    const url = new URL('/v1/sessions', o.url);
    url.searchParams.set('pipeline', o.pipeline);
    const headers: Record<string, string> = {};
    const protocols: string[] = [];
    if (via === 'header') {
      headers['authorization'] = `Bearer ${o.token}`;
    } else if (via === 'subprotocol') {
      protocols.push('voice-relay.v1', `bearer.${o.token}`);
    } else {
      url.searchParams.set('token', o.token);
    }
    if (o.origin !== undefined) {
      headers['origin'] = o.origin;
    }
    const ws = new WebSocket(url, protocols, { headers, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RelayClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as object;
          } catch {
            body = {};
          }
          reject(new UpgradeRefused(res.statusCode ?? 0, body, res.headers));
        });
      });
      ws.once('error', reject);
    });
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  /** Send one 20 ms frame (seq and timestamp advance by themselves unless given). */
  sendFrame(payload: Buffer, seq = this.#seq++, timestampMs = (Date.now() - this.#t0) >>> 0): void {
    this.ws.send(encodeFrame(seq, timestampMs, 0, payload));
  }

  sendEvent(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(event));
  }

  /** Stream PCM16 in real time (20 ms frames on absolute time); resolves after the last frame. */
  async streamRealtime(pcm: Buffer, sampleRateHz: number, signal?: AbortSignal): Promise<void> {
    const fb = bytesPerFrame(sampleRateHz);
    const start = nowMs();
    for (let k = 0; k * fb < pcm.length; k++) {
      if (signal?.aborted === true || this.ws.readyState !== WebSocket.OPEN) {
        return;
      }
      const due = start + k * FRAME_MS;
      const wait = due - nowMs();
      if (wait > 1) {
        await new Promise<void>((r) => setTimeout(r, wait));
      }
      let frame = pcm.subarray(k * fb, (k + 1) * fb);
      if (frame.length < fb) {
        const padded = Buffer.alloc(fb);
        frame.copy(padded);
        frame = padded;
      }
      this.sendFrame(frame, k, Math.round(k * FRAME_MS));
    }
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code);
    }
    return this.closed;
  }
}
