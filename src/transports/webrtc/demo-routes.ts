/** The WebRTC demo page and its routes (development mode only): page, favicon, info, token. */
import type { ServerResponse } from 'node:http';
import { isLoopbackAddress } from '../../auth/loopback.js';
import { RelayError } from '../../errors/errors.js';
import type { HttpRoute } from '../ports.js';
import { demoPageHtml, type DemoInfo } from './demo-page.js';

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

/** The demo's favicon: a small speech-bubble glyph (SVG). */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="4" width="28" height="19" rx="6" fill="#2f81f7"/><path d="M9 23l-2 7 8-7z" fill="#2f81f7"/><path d="M9 14h2M13 10v8M17 8v12M21 11v6M25 13v2" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>';

/** The demo's HTTP routes; `signallingPath` is where its page posts offers. */
export function demoRoutes(demo: WebRtcDemoOptions, signallingPath: string): HttpRoute[] {
  const page = (demo.path ?? '/demo').replace(/\/+$/, '');
  const html = (): string =>
    demoPageHtml({
      pipeline: demo.pipeline ?? 'default',
      signallingPath,
      tokenPath: `${page}/token`,
      ...(demo.info?.() ?? { engines: {}, say: [] }),
    });
  return [
    {
      // Development mode: the root leads to the demo page.
      matches: (method, pathname) => (method === 'GET' || method === 'HEAD') && pathname === '/',
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
        (method === 'GET' || method === 'HEAD') && (pathname === page || pathname === `${page}/`),
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
        return proxyDevToken(res, demo);
      },
    },
  ];
}

/**
 * Same-origin route for the demo page: forwards to the gateway's `POST /v1/tokens/dev`
 * (a different origin without CORS headers) and returns its answer. Only this fixed
 * URL is ever fetched; nothing from the request is forwarded.
 */
async function proxyDevToken(res: ServerResponse, demo: WebRtcDemoOptions): Promise<void> {
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
