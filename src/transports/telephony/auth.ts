/**
 * Pure credential checks for carrier upgrades (architecture section 6: each carrier uses
 * its own auth, checked in the HTTP `upgrade` handler before any frame is read).
 * All comparisons are constant-time in the length of the expected value.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CarrierName } from './types.js';

/** Constant-time string equality (hashing first hides length differences). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

export type TwilioParams = Record<string, string | readonly string[]>;

/**
 * Twilio's request signature: base64(HMAC-SHA1(authToken, url + Σ sorted(key + value)), repeated
 * values sorted and de-duplicated as Twilio's helper libraries do).
 * For a Media Streams WebSocket upgrade there is no body: `params` is `{}` and the URL is
 * the `wss://` URL Twilio connected to.
 */
export function twilioSignature(authToken: string, url: string, params: TwilioParams = {}): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    const values = typeof value === 'string' ? [value] : [...new Set(value ?? [])].sort();
    for (const v of values) {
      data += key + v;
    }
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** The URL with the scheme's default port added or removed (proxies disagree). */
function portVariants(url: string): string[] {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is.exec(url);
  const scheme = m?.[1]?.toLowerCase();
  const authority = m?.[2];
  const rest = m?.[3] ?? '';
  const defaults: Record<string, string> = { https: '443', wss: '443', http: '80', ws: '80' };
  const def = scheme === undefined ? undefined : defaults[scheme];
  if (m === null || authority === undefined || def === undefined) {
    return [url];
  }
  const hp = /^(.*?)(?::(\d+))?$/s.exec(authority);
  const host = hp?.[1] ?? authority;
  const port = hp?.[2];
  const prefix = `${m[1] ?? ''}://`;
  if (port === undefined) {
    return [url, `${prefix}${host}:${def}${rest}`];
  }
  return port === def ? [url, `${prefix}${host}${rest}`] : [url];
}

/**
 * Validate `X-Twilio-Signature`. Tries the URL as given and with the default port
 * added/removed, like Twilio's own helper libraries; compares in constant time.
 */
export function validateTwilioSignature(
  authToken: string,
  url: string,
  params: TwilioParams,
  signatureHeader: string | undefined,
): boolean {
  if (signatureHeader === undefined || signatureHeader === '' || authToken === '') {
    return false;
  }
  let ok = false;
  for (const candidate of portVariants(url)) {
    // No early exit: every variant is checked.
    ok = constantTimeEqual(twilioSignature(authToken, candidate, params), signatureHeader) || ok;
  }
  return ok;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/** `Authorization: Basic base64(user:pass)` → credentials; undefined when absent/malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined) {
    return undefined;
  }
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (m?.[1] === undefined) {
    return undefined;
  }
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Check Basic credentials in constant time (both fields always compared). */
export function checkBasicAuth(header: string | undefined, expected: BasicCredentials): boolean {
  const got = parseBasicAuth(header) ?? { username: '', password: '' };
  const u = constantTimeEqual(got.username, expected.username);
  const p = constantTimeEqual(got.password, expected.password);
  return u && p && expected.password !== '';
}

/** `Authorization: Bearer <token>` compared to an expected token in constant time. */
export function checkBearer(header: string | undefined, expected: string): boolean {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return constantTimeEqual(m?.[1] ?? '', expected) && expected !== '';
}

/** A shared token from a header, a path segment or a custom parameter. */
export function checkToken(got: string | undefined, expected: string): boolean {
  return constantTimeEqual(got ?? '', expected) && expected !== '';
}

export type CarrierAuthKind =
  'twilio-signature' | 'basic' | 'bearer-header' | 'token-header' | 'path-token' | 'network';

/** What each carrier can present on the upgrade (and which helper checks it). */
export const CARRIER_AUTH: Readonly<
  Record<CarrierName, { kinds: CarrierAuthKind[]; note: string }>
> = {
  twilio: {
    kinds: ['twilio-signature', 'path-token'],
    note: 'X-Twilio-Signature over the wss URL (validateTwilioSignature). Query strings are dropped: use <Parameter> or a one-time token in the path.',
  },
  telnyx: {
    kinds: ['token-header', 'path-token'],
    note: 'x-telnyx-streaming-auth-token header when a streaming auth token is configured (checkToken); else a token in the path.',
  },
  vonage: {
    kinds: ['path-token'],
    note: 'No upgrade auth in the spec; use a one-time token in the URL path. NCCO headers arrive only in the first frame.',
  },
  plivo: {
    kinds: ['path-token'],
    note: 'No upgrade auth in the spec; use a one-time token in the path (extraHeaders arrive only in start).',
  },
  exotel: {
    kinds: ['basic', 'network'],
    note: 'Basic auth (wss://KEY:TOKEN@host → Authorization: Basic) or an IP allowlist.',
  },
  jambonz: {
    kinds: ['basic', 'path-token'],
    note: 'listen wsAuth.username/password → Basic auth; else a token in the path.',
  },
  freeswitch: {
    kinds: ['bearer-header', 'path-token'],
    note: 'STREAM_EXTRA_HEADERS can carry Authorization: Bearer; else a token in the path.',
  },
  'asterisk-ws': {
    kinds: ['basic', 'path-token'],
    note: 'websocket_client.conf username/password → Basic auth; else a token in the path (v() URI params).',
  },
  audiosocket: {
    kinds: ['network'],
    note: 'No auth in the protocol: restrict the TCP listener to the PBX addresses; the UUID identifies the call.',
  },
};
