/**
 * The upgrade gate of a carrier socket: checks the carrier's own credential (`CARRIER_AUTH`)
 * and finds the relay credential, before any handshake. Pure: the caller authenticates.
 *
 * - A configured carrier credential must pass (Twilio's signature is always configured).
 * - Without one, a relay credential in the URL path (`/v1/telephony/<carrier>/<token>`) is
 *   required: Vonage and Plivo have no upgrade credential of their own.
 * - `allowedAddresses`, when set, must match, and then also counts as the carrier credential.
 * - With the carrier credential passed and no path token, the relay credential comes later:
 *   the `token` custom parameter of the carrier's start message, else `serviceToken`. A
 *   carrier whose start cannot carry parameters (chan_websocket) needs `serviceToken`.
 */
import type { IncomingMessage } from 'node:http';
import { RelayError } from '../../../errors/errors.js';
import { checkBasicAuth, checkBearer, checkToken, validateTwilioSignature } from '../auth.js';
import { CARRIER_ENDPOINTS } from '../endpoints.js';
import type {
  CarrierCommonOptions,
  TelephonyCarriersOptions,
  TwilioCarrierOptions,
  WsCarrierName,
} from './options.js';

/** Whether the carrier's start message can carry custom parameters (a `token`). */
export const START_CARRIES_PARAMETERS: Readonly<Record<WsCarrierName, boolean>> = {
  twilio: true, // <Parameter> → start.customParameters
  telnyx: true, // custom_parameters
  vonage: true, // NCCO headers in websocket:connected
  plivo: true, // extraHeaders
  exotel: true, // custom_parameters
  jambonz: true, // listen metadata
  freeswitch: true, // uuid_audio_stream metadata (JSON)
  'asterisk-ws': false, // MEDIA_START has no free-form fields
};

/** Longest path token accepted (JWTs are a few hundred characters). */
const MAX_PATH_TOKEN = 4096;

export type GateDecision =
  /** A relay credential in the path: authenticate it now (before the handshake). */
  | { kind: 'path-token'; token: string }
  /** The carrier credential passed: the relay credential follows with the start message. */
  | { kind: 'deferred' };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  if (Array.isArray(v)) {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', `repeated ${name} header`);
  }
  return v;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`. */
export function normaliseAddress(address: string | undefined): string {
  const a = address ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export function addressAllowed(list: readonly string[], address: string | undefined): boolean {
  const a = normaliseAddress(address);
  return a !== '' && list.some((x) => normaliseAddress(x) === a);
}

/** The token segment after the carrier's path, if any (`undefined` for the bare path). */
export function pathToken(carrier: WsCarrierName, pathname: string): string | undefined {
  const base = CARRIER_ENDPOINTS[carrier].path ?? '';
  if (pathname === base) {
    return undefined;
  }
  const rest = pathname.slice(base.length + 1);
  if (rest === '' || rest.includes('/') || rest.length > MAX_PATH_TOKEN) {
    throw new RelayError('RELAY_ERR_NOT_FOUND', 'no upgrade endpoint at this path');
  }
  try {
    return decodeURIComponent(rest);
  } catch {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', 'malformed path token');
  }
}

type Check = 'passed' | 'failed' | 'absent';

function twilioUrl(o: TwilioCarrierOptions, req: IncomingMessage): string {
  const base = o.publicBaseUrl ?? `wss://${header(req, 'host') ?? ''}`;
  return `${base.replace(/\/+$/, '')}${req.url ?? '/'}`;
}

function carrierCredential(
  carrier: WsCarrierName,
  carriers: TelephonyCarriersOptions,
  req: IncomingMessage,
): Check {
  const authz = (): string | undefined => header(req, 'authorization');
  const basic = (o: { basic?: { username: string; password: string } }): Check =>
    o.basic === undefined ? 'absent' : checkBasicAuth(authz(), o.basic) ? 'passed' : 'failed';
  switch (carrier) {
    case 'twilio': {
      const o = carriers.twilio;
      if (o === undefined) {
        return 'failed';
      }
      const sig = header(req, 'x-twilio-signature');
      return validateTwilioSignature(o.authToken, twilioUrl(o, req), {}, sig) ? 'passed' : 'failed';
    }
    case 'telnyx': {
      const t = carriers.telnyx?.streamingAuthToken;
      if (t === undefined) {
        return 'absent';
      }
      return checkToken(header(req, 'x-telnyx-streaming-auth-token'), t) ? 'passed' : 'failed';
    }
    case 'exotel':
      return basic(carriers.exotel ?? {});
    case 'jambonz':
      return basic(carriers.jambonz ?? {});
    case 'asterisk-ws':
      return basic(carriers['asterisk-ws'] ?? {});
    case 'freeswitch': {
      const b = carriers.freeswitch?.bearer;
      if (b === undefined) {
        return 'absent';
      }
      return checkBearer(authz(), b) ? 'passed' : 'failed';
    }
    case 'vonage':
    case 'plivo':
      return 'absent';
  }
}

/** Decide an upgrade; throws the refusal (401/403/404) as a RelayError. */
export function gateUpgrade(
  carrier: WsCarrierName,
  carriers: TelephonyCarriersOptions,
  req: IncomingMessage,
  pathname: string,
): GateDecision {
  const common: CarrierCommonOptions | undefined = carriers[carrier];
  if (common === undefined) {
    throw new RelayError('RELAY_ERR_NOT_FOUND', 'carrier not enabled');
  }
  const token = pathToken(carrier, pathname);
  let check = carrierCredential(carrier, carriers, req);
  const allowed = common.allowedAddresses;
  if (allowed !== undefined) {
    if (!addressAllowed(allowed, req.socket.remoteAddress)) {
      throw new RelayError('RELAY_ERR_FORBIDDEN', 'address not allowed');
    }
    if (check === 'absent') {
      check = 'passed';
    }
  }
  if (check === 'failed') {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'carrier credential missing or invalid');
  }
  if (token !== undefined) {
    return { kind: 'path-token', token };
  }
  if (check === 'absent') {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'a relay credential in the path is required');
  }
  if (!START_CARRIES_PARAMETERS[carrier] && common.serviceToken === undefined) {
    throw new RelayError(
      'RELAY_ERR_UNAUTHENTICATED',
      'a relay credential in the path (or a configured service token) is required',
    );
  }
  return { kind: 'deferred' };
}
