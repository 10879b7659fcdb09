import { RelayError } from '../errors/index.js';

/** The WebSocket subprotocol the relay speaks (and answers with). */
export const WS_SUBPROTOCOL = 'voice-relay.v1';
/** Browsers put their token in the subprotocol list as `bearer.TOKEN`. */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

const MAX_TOKEN_LENGTH = 8192;
/** RFC 6750 b64token characters (JWTs and `vr_` keys are within it). */
const TOKEN_RE = /^[A-Za-z0-9._~+/=-]+$/;
const BEARER_RE = /^Bearer +(\S+)$/i;

/** Anything with Node's IncomingMessage shape (headers lower-cased, raw url). */
export interface RequestLike {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Name/value pairs as received: Node keeps only the first of some repeated headers. */
  rawHeaders?: readonly string[];
  url?: string | undefined;
}

/** Throws RELAY_ERR_BAD_REQUEST when `name` (lower case) occurs more than once. */
export function assertSingleHeader(rawHeaders: readonly string[] | undefined, name: string): void {
  let seen = 0;
  for (let i = 0; rawHeaders !== undefined && i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name && ++seen > 1) {
      throw badRequest(`repeated ${name} header`);
    }
  }
}

export type CredentialSource = 'authorization' | 'subprotocol' | 'query';

export interface ExtractedCredential {
  token: string;
  source: CredentialSource;
  /**
   * True when the token came in `Sec-WebSocket-Protocol`: the server must then
   * answer `voice-relay.v1` (never echo the `bearer.` entry).
   */
  subprotocol: boolean;
}

function badRequest(message: string): RelayError {
  return new RelayError('RELAY_ERR_BAD_REQUEST', message);
}

function checkToken(token: string, where: string): string {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !TOKEN_RE.test(token)) {
    throw badRequest(`malformed token in ${where}`);
  }
  return token;
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) {
    throw badRequest(`repeated ${name} header`);
  }
  return value;
}

function fromAuthorization(req: RequestLike): string | undefined {
  assertSingleHeader(req.rawHeaders, 'authorization');
  const header = single(req.headers['authorization'], 'Authorization');
  if (header === undefined) {
    return undefined;
  }
  const m = BEARER_RE.exec(header.trim());
  if (m?.[1] === undefined) {
    throw badRequest('Authorization header must be "Bearer TOKEN"');
  }
  return checkToken(m[1], 'Authorization header');
}

function fromSubprotocol(req: RequestLike): string | undefined {
  const raw = req.headers['sec-websocket-protocol'];
  if (raw === undefined) {
    return undefined;
  }
  const entries = (Array.isArray(raw) ? raw.join(',') : raw)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bearers = entries.filter((s) => s.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  if (bearers.length === 0) {
    return undefined;
  }
  if (bearers.length > 1) {
    throw badRequest('more than one bearer subprotocol');
  }
  if (!entries.includes(WS_SUBPROTOCOL)) {
    throw badRequest(`bearer subprotocol requires ${WS_SUBPROTOCOL}`);
  }
  const token = (bearers[0] ?? '').slice(BEARER_SUBPROTOCOL_PREFIX.length);
  return checkToken(token, 'subprotocol');
}

function fromQuery(req: RequestLike): string | undefined {
  const url = req.url;
  if (url === undefined || !url.includes('?')) {
    return undefined;
  }
  let params: URLSearchParams;
  try {
    params = new URL(url, 'http://relay.invalid').searchParams;
  } catch {
    throw badRequest('malformed request URL');
  }
  const tokens = params.getAll('token');
  if (tokens.length === 0) {
    return undefined;
  }
  if (tokens.length > 1) {
    throw badRequest('repeated token parameter');
  }
  return checkToken(tokens[0] ?? '', 'query');
}

/**
 * Pull the one credential out of an upgrade/HTTP request: `Authorization: Bearer`,
 * the `bearer.TOKEN` subprotocol entry, or `?token=`. A query token is only a
 * candidate: `Authenticator` accepts it only if it is a gateway-minted client token.
 * Missing → RELAY_ERR_UNAUTHENTICATED; malformed or more than one → RELAY_ERR_BAD_REQUEST.
 */
export function extractCredential(req: RequestLike): ExtractedCredential {
  const found: ExtractedCredential[] = [];
  const header = fromAuthorization(req);
  if (header !== undefined) {
    found.push({ token: header, source: 'authorization', subprotocol: false });
  }
  const proto = fromSubprotocol(req);
  if (proto !== undefined) {
    found.push({ token: proto, source: 'subprotocol', subprotocol: true });
  }
  const query = fromQuery(req);
  if (query !== undefined) {
    found.push({ token: query, source: 'query', subprotocol: false });
  }
  if (found.length > 1) {
    throw badRequest('more than one credential in the request');
  }
  const [credential] = found;
  if (credential === undefined) {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'missing credentials');
  }
  return credential;
}
