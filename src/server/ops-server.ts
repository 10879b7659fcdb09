import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { listenOn } from './listen.js';

export interface OpsServerOptions {
  registry: Registry;
  nodeId: string;
  /** False while starting or draining: /readyz answers 503. */
  ready: () => boolean;
}

function json(status: number, body: unknown): [number, Record<string, string>, string] {
  return [status, { 'content-type': 'application/json' }, JSON.stringify(body)];
}

/**
 * The operations listener of a media-only node: `/metrics`, `/healthz` and `/readyz`
 * on their own port (never the media port, which only takes upgrades). Nodes that run
 * the gateway serve the same three routes there instead.
 */
export class OpsServer {
  readonly #o: OpsServerOptions;
  readonly #http: Server;

  constructor(o: OpsServerOptions) {
    this.#o = o;
    this.#http = createServer((req, res) => {
      void this.#answer(req.method ?? 'GET', req.url ?? '/').then(
        ([status, headers, body]) => {
          res.writeHead(status, headers);
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'RELAY_ERR_INTERNAL', message: 'failed' } }));
        },
      );
    });
  }

  async #answer(method: string, url: string): Promise<[number, Record<string, string>, string]> {
    const path = new URL(url, 'http://ops.invalid').pathname;
    if (method !== 'GET' && method !== 'HEAD') {
      return json(405, { error: { code: 'RELAY_ERR_BAD_REQUEST', message: 'GET only' } });
    }
    switch (path) {
      case '/healthz':
        return json(200, { status: 'ok', node: this.#o.nodeId });
      case '/readyz':
        return this.#o.ready()
          ? json(200, { status: 'ready', node: this.#o.nodeId })
          : json(503, { error: { code: 'RELAY_ERR_DRAINING', message: 'not ready' } });
      case '/metrics':
        return [
          200,
          { 'content-type': this.#o.registry.contentType },
          await this.#o.registry.metrics(),
        ];
      default:
        return json(404, {
          error: {
            code: 'RELAY_ERR_NOT_FOUND',
            message: 'ops listener: /metrics, /healthz, /readyz',
          },
        });
    }
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return listenOn(this.#http, port, host);
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }
}
