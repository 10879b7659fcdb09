/**
 * Options of the telephony ingress module (`createTelephonyModule`), their defaults, and the
 * per-call information given to observers.
 */
import type { AddressInfo } from 'node:net';
import type { ServerEvent } from '../../../frames/events.js';
import type { AsteriskWsOptions } from '../asterisk-ws.js';
import type { BasicCredentials } from '../auth.js';
import type { AudioSocketOptions } from '../audiosocket.js';
import type { ExotelOptions } from '../exotel.js';
import type { FreeswitchOptions } from '../freeswitch.js';
import type { JambonzOptions } from '../jambonz.js';
import type { PlivoOptions } from '../plivo.js';
import type { TelnyxOptions } from '../telnyx.js';
import type { TwilioOptions } from '../twilio.js';
import type { CarrierName } from '../types.js';
import type { VonageOptions } from '../vonage.js';

/** What every WebSocket carrier accepts. */
export interface CarrierCommonOptions {
  /**
   * Relay credential (API key or JWT) for calls that bring none — no path token and no
   * `token` custom parameter. Used only after the carrier credential passed.
   */
  serviceToken?: string;
  /** Pipeline of this carrier's calls unless `?pipeline=` or a `pipeline` parameter names one. */
  pipeline?: string;
  /**
   * Remote IP addresses allowed to connect (exact match, IPv4-mapped IPv6 normalised).
   * When set, connecting from one of them also counts as the carrier credential (Exotel's
   * "IP allowlist" mode, a PBX on a private network).
   */
  allowedAddresses?: readonly string[];
}

export interface TwilioCarrierOptions extends CarrierCommonOptions {
  /** The account's auth token: every upgrade must carry a valid `X-Twilio-Signature`. */
  authToken: string;
  /**
   * Scheme, host (and port, and any path prefix a proxy strips) of the URL Twilio connects to,
   * e.g. `wss://relay.example.com`; the request path is appended. Default `wss://<Host>`.
   */
  publicBaseUrl?: string;
  serializer?: TwilioOptions;
}

export interface TelnyxCarrierOptions extends CarrierCommonOptions {
  /** `stream_auth_token` of the call: checked against `x-telnyx-streaming-auth-token`. */
  streamingAuthToken?: string;
  serializer?: TelnyxOptions;
}

export interface VonageCarrierOptions extends CarrierCommonOptions {
  serializer?: VonageOptions;
}

export interface PlivoCarrierOptions extends CarrierCommonOptions {
  serializer?: PlivoOptions;
}

export interface ExotelCarrierOptions extends CarrierCommonOptions {
  /** `wss://KEY:TOKEN@host` → `Authorization: Basic`. */
  basic?: BasicCredentials;
  serializer?: ExotelOptions;
}

export interface JambonzCarrierOptions extends CarrierCommonOptions {
  /** `listen.wsAuth` username/password → `Authorization: Basic`. */
  basic?: BasicCredentials;
  serializer?: JambonzOptions;
}

export interface FreeswitchCarrierOptions extends CarrierCommonOptions {
  /** `STREAM_EXTRA_HEADERS` `{"Authorization":"Bearer …"}` → checked in constant time. */
  bearer?: string;
  serializer?: FreeswitchOptions;
}

export interface AsteriskWsCarrierOptions extends CarrierCommonOptions {
  /** `websocket_client.conf` username/password → `Authorization: Basic`. */
  basic?: BasicCredentials;
  serializer?: AsteriskWsOptions;
}

/** A carrier is served when its entry is present. */
export interface TelephonyCarriersOptions {
  twilio?: TwilioCarrierOptions;
  telnyx?: TelnyxCarrierOptions;
  vonage?: VonageCarrierOptions;
  plivo?: PlivoCarrierOptions;
  exotel?: ExotelCarrierOptions;
  jambonz?: JambonzCarrierOptions;
  freeswitch?: FreeswitchCarrierOptions;
  'asterisk-ws'?: AsteriskWsCarrierOptions;
}

export type WsCarrierName = keyof TelephonyCarriersOptions;

export type AudioSocketResolver = (
  uuid: string,
) => string | undefined | Promise<string | undefined>;

export interface AudioSocketListenerOptions {
  /** TCP port (0: any free port, see `onListening`). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * The call UUID (lower-case, dashed, as in the dialplan's `AudioSocket(uuid,…)`) → relay
   * credential. A UUID that maps to nothing is hung up (fail closed).
   */
  calls?: Readonly<Record<string, string>> | AudioSocketResolver;
  /**
   * Relay credential for every call whose UUID is not in `calls`. Needs `allowedAddresses`:
   * the protocol has no credential of its own.
   */
  serviceToken?: string;
  /** PBX addresses allowed to connect (exact IPs); absent = any (then `calls` is the gate). */
  allowedAddresses?: readonly string[];
  pipeline?: string;
  serializer?: AudioSocketOptions;
  onListening?(address: AddressInfo): void;
}

export interface CarrierBackpressure {
  dropAudioAboveBytes: number;
  closeAboveBytes: number;
  maxSlowMs: number;
}

/** Who a call is, for observers (`onEvent`) and logs. */
export interface CallInfo {
  readonly carrier: CarrierName;
  sessionId?: string;
  callId?: string;
  streamId?: string;
  /** The carrier's custom parameters, without `token`. */
  customParameters: Record<string, string>;
  /** Media chunks that arrived behind a later chunk number (put back in order). */
  chunksReordered?: number;
}

export interface TelephonyModuleOptions {
  carriers?: TelephonyCarriersOptions;
  /** The AudioSocket TCP listener; absent = not started. */
  audioSocket?: AudioSocketListenerOptions;
  /** Pipeline when neither the URL, a custom parameter nor the carrier names one. */
  defaultPipeline?: string;
  /**
   * Which relay credentials a token in the URL path may be: `client-tokens` (default) admits
   * only short-lived gateway-minted client tokens, like `?token=` on the WebSocket path;
   * `any` also admits API keys and long-lived JWTs.
   */
  pathTokens?: 'client-tokens' | 'any';
  /** Reply audio between two playback marks (the first piece of a reply is always marked). */
  markIntervalMs?: number;
  /** A call that sends no start (or whose credential is not settled) by then is closed 1008. */
  startTimeoutMs?: number;
  /** Largest WebSocket message accepted; bigger closes the call with 1009. */
  maxPayloadBytes?: number;
  /** Carrier messages per second per call (burst: 2 s worth); beyond, dropped and counted. */
  maxMessagesPerSecond?: number;
  /** Malformed messages a call may send (burst), refilled at `badMessagesPerSecond`; then 1008. */
  maxBadMessages?: number;
  badMessagesPerSecond?: number;
  /** Ping interval; a carrier socket that misses a pong is terminated. */
  heartbeatMs?: number;
  backpressure?: Partial<CarrierBackpressure>;
  /** Media messages held while the call's credential is checked (after that, dropped). */
  maxPendingMessages?: number;
  /** Every server event of every call (the carrier sees only audio, marks and clears). */
  onEvent?: (call: CallInfo, event: ServerEvent) => void;
}

export const DEFAULT_TELEPHONY_OPTIONS = {
  defaultPipeline: 'default',
  pathTokens: 'client-tokens',
  markIntervalMs: 100,
  startTimeoutMs: 10_000,
  maxPayloadBytes: 64 * 1024,
  maxMessagesPerSecond: 200,
  maxBadMessages: 50,
  badMessagesPerSecond: 5,
  heartbeatMs: 15_000,
  maxPendingMessages: 250,
  backpressure: {
    dropAudioAboveBytes: 256 * 1024,
    closeAboveBytes: 1024 * 1024,
    maxSlowMs: 5_000,
  },
} as const satisfies Omit<
  Required<TelephonyModuleOptions>,
  'carriers' | 'audioSocket' | 'onEvent' | 'backpressure'
> & { backpressure: CarrierBackpressure };

export interface ResolvedTelephonyOptions {
  readonly defaultPipeline: string;
  readonly pathTokens: 'client-tokens' | 'any';
  readonly markIntervalMs: number;
  readonly startTimeoutMs: number;
  readonly maxPayloadBytes: number;
  readonly maxMessagesPerSecond: number;
  readonly maxBadMessages: number;
  readonly badMessagesPerSecond: number;
  readonly heartbeatMs: number;
  readonly maxPendingMessages: number;
  readonly backpressure: CarrierBackpressure;
  readonly onEvent: ((call: CallInfo, event: ServerEvent) => void) | undefined;
}

export function resolveOptions(o: TelephonyModuleOptions): ResolvedTelephonyOptions {
  const d = DEFAULT_TELEPHONY_OPTIONS;
  const positive = (name: string, v: number): number => {
    if (!Number.isFinite(v) || v <= 0) {
      throw new RangeError(`telephony option ${name} must be positive`);
    }
    return v;
  };
  return Object.freeze({
    defaultPipeline: o.defaultPipeline ?? d.defaultPipeline,
    pathTokens: o.pathTokens ?? d.pathTokens,
    markIntervalMs: positive('markIntervalMs', o.markIntervalMs ?? d.markIntervalMs),
    startTimeoutMs: positive('startTimeoutMs', o.startTimeoutMs ?? d.startTimeoutMs),
    maxPayloadBytes: positive('maxPayloadBytes', o.maxPayloadBytes ?? d.maxPayloadBytes),
    maxMessagesPerSecond: positive(
      'maxMessagesPerSecond',
      o.maxMessagesPerSecond ?? d.maxMessagesPerSecond,
    ),
    maxBadMessages: positive('maxBadMessages', o.maxBadMessages ?? d.maxBadMessages),
    badMessagesPerSecond: positive(
      'badMessagesPerSecond',
      o.badMessagesPerSecond ?? d.badMessagesPerSecond,
    ),
    heartbeatMs: positive('heartbeatMs', o.heartbeatMs ?? d.heartbeatMs),
    maxPendingMessages: positive(
      'maxPendingMessages',
      o.maxPendingMessages ?? d.maxPendingMessages,
    ),
    backpressure: Object.freeze({ ...d.backpressure, ...o.backpressure }),
    onEvent: o.onEvent,
  });
}
