/**
 * Opening a provider's WebSocket: headers (the key) at the handshake, a
 * connect timeout, and a refused upgrade (401, 429, 5xx...) turned into an
 * UpstreamError with the gRPC status of its HTTP status and the provider's
 * message (from the body, or Deepgram's `dg-error` header).
 */
import type { IncomingMessage } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import WebSocket from 'ws';
import {
  describeNetworkError,
  grpcCodeForHttp,
  isRetryableHttp,
  providerMessage,
  UpstreamError,
} from '../openai/upstream.js';

const MAX_ERROR_BODY_BYTES = 16 * 1024;

export interface OpenSocketOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Provider name for messages. */
  provider: string;
}

/** Open `url`; resolves once the socket is open. */
export function openProviderSocket(url: string, o: OpenSocketOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: o.headers,
      handshakeTimeout: o.timeoutMs,
      perMessageDeflate: false,
      followRedirects: false,
    });
    let settled = false;
    const settle = (err: UpstreamError | undefined): void => {
      if (settled) {
        return;
      }
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onRefused);
      if (err === undefined) {
        resolve(ws);
      } else {
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      }
    };
    const onOpen = (): void => settle(undefined);
    const onError = (err: Error): void =>
      settle(
        new UpstreamError(
          GrpcStatus.UNAVAILABLE,
          `cannot reach ${o.provider}: ${describeNetworkError(err)}`,
          { retryable: true },
        ),
      );
    const onRefused = (_req: unknown, res: IncomingMessage): void => {
      void readBody(res).then((body) => settle(handshakeError(o.provider, res, body)));
    };
    const onAbort = (): void =>
      settle(new UpstreamError(GrpcStatus.CANCELLED, `${o.provider} connect aborted`));
    ws.once('open', onOpen);
    ws.on('error', onError);
    ws.once('unexpected-response', onRefused);
    if (o.signal.aborted) {
      onAbort();
    } else {
      o.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

function handshakeError(provider: string, res: IncomingMessage, body: string): UpstreamError {
  const status = res.statusCode ?? 0;
  const dgError = res.headers['dg-error'];
  const message =
    typeof dgError === 'string' && dgError !== '' ? dgError : providerMessage(body) || '';
  const retryAfter = Number(res.headers['retry-after']);
  return new UpstreamError(
    grpcCodeForHttp(status),
    `${provider} refused the connection: HTTP ${status}${message === '' ? '' : `: ${message}`}`,
    {
      retryable: isRetryableHttp(status),
      retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
    },
  );
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    res.on('data', (c: Buffer) => {
      if (bytes < MAX_ERROR_BODY_BYTES) {
        parts.push(c);
        bytes += c.length;
      }
    });
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

/** gRPC status for a WebSocket close the bridge did not ask for. */
export function grpcCodeForClose(code: number): GrpcStatus {
  if (code === 1008 || code === 1002 || code === 1003 || code === 1007 || code === 1009) {
    return GrpcStatus.INVALID_ARGUMENT;
  }
  if (code === 4001 || code === 4003) {
    return GrpcStatus.UNAUTHENTICATED;
  }
  if (code === 4029 || code === 1013) {
    return GrpcStatus.RESOURCE_EXHAUSTED;
  }
  return GrpcStatus.UNAVAILABLE;
}

/** Send a JSON text frame if the socket is open (false otherwise). */
export function sendJson(ws: WebSocket | undefined, message: unknown): boolean {
  if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
    return false;
  }
  ws.send(JSON.stringify(message));
  return true;
}

/** Close politely (or at once when it is still connecting); never throws. */
export function closeSocket(ws: WebSocket | undefined, code = 1000, reason = ''): void {
  if (ws === undefined) {
    return;
  }
  ws.on('error', () => undefined);
  if (ws.readyState === WebSocket.OPEN) {
    ws.close(code, reason);
  } else if (ws.readyState === WebSocket.CONNECTING) {
    ws.terminate();
  }
}
