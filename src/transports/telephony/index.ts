/**
 * Carrier serializer registry: one pure serializer per carrier protocol, the media path
 * (or TCP listener) each carrier connects to, and its WebSocket subprotocol if any.
 * See README.md in this folder for the per-carrier table.
 */
import { AsteriskWsSerializer, type AsteriskWsOptions } from './asterisk-ws.js';
import { AudioSocketSerializer, type AudioSocketOptions } from './audiosocket.js';
import { ExotelSerializer, type ExotelOptions } from './exotel.js';
import { FreeswitchSerializer, type FreeswitchOptions } from './freeswitch.js';
import { JAMBONZ_SUBPROTOCOL, JambonzSerializer, type JambonzOptions } from './jambonz.js';
import { PlivoSerializer, type PlivoOptions } from './plivo.js';
import { TelnyxSerializer, type TelnyxOptions } from './telnyx.js';
import { TwilioSerializer, type TwilioOptions } from './twilio.js';
import type { CarrierName, CarrierSerializer } from './types.js';
import { VonageSerializer, type VonageOptions } from './vonage.js';

export * from './types.js';
export * from './auth.js';
export { AsteriskWsSerializer, type AsteriskWsOptions } from './asterisk-ws.js';
export {
  AUDIOSOCKET_AUDIO_KINDS_CURRENT_DOCS,
  AUDIOSOCKET_KIND,
  AudioSocketSerializer,
  audioSocketFrame,
  type AudioSocketOptions,
} from './audiosocket.js';
export { ExotelSerializer, EXOTEL_CHUNK, type ExotelOptions } from './exotel.js';
export { FreeswitchSerializer, type FreeswitchOptions } from './freeswitch.js';
export { JAMBONZ_SUBPROTOCOL, JambonzSerializer, type JambonzOptions } from './jambonz.js';
export { PlivoSerializer, parseExtraHeaders, type PlivoOptions } from './plivo.js';
export { TelnyxSerializer, type TelnyxCodec, type TelnyxOptions } from './telnyx.js';
export { TwilioSerializer, type TwilioOptions } from './twilio.js';
export { VonageSerializer, type VonageOptions } from './vonage.js';
export { silenceByte } from './chunker.js';

export interface CarrierOptions {
  twilio: TwilioOptions;
  telnyx: TelnyxOptions;
  vonage: VonageOptions;
  plivo: PlivoOptions;
  exotel: ExotelOptions;
  jambonz: JambonzOptions;
  freeswitch: FreeswitchOptions;
  'asterisk-ws': AsteriskWsOptions;
  audiosocket: AudioSocketOptions;
}

export interface CarrierEndpoint {
  readonly transport: 'websocket' | 'tcp';
  /** Upgrade path on the media listener; undefined for the AudioSocket TCP listener. */
  readonly path?: string;
  /** WebSocket subprotocol the carrier offers and the server must select. */
  readonly subprotocol?: string;
}

export const TELEPHONY_PATH_PREFIX = '/v1/telephony';

export const CARRIER_ENDPOINTS: Readonly<Record<CarrierName, CarrierEndpoint>> = {
  twilio: { transport: 'websocket', path: `${TELEPHONY_PATH_PREFIX}/twilio` },
  telnyx: { transport: 'websocket', path: `${TELEPHONY_PATH_PREFIX}/telnyx` },
  vonage: { transport: 'websocket', path: `${TELEPHONY_PATH_PREFIX}/vonage` },
  plivo: { transport: 'websocket', path: `${TELEPHONY_PATH_PREFIX}/plivo` },
  exotel: { transport: 'websocket', path: `${TELEPHONY_PATH_PREFIX}/exotel` },
  jambonz: {
    transport: 'websocket',
    path: `${TELEPHONY_PATH_PREFIX}/jambonz`,
    subprotocol: JAMBONZ_SUBPROTOCOL,
  },
  freeswitch: { transport: 'websocket', path: `${TELEPHONY_PATH_PREFIX}/freeswitch` },
  'asterisk-ws': { transport: 'websocket', path: `${TELEPHONY_PATH_PREFIX}/asterisk` },
  audiosocket: { transport: 'tcp' },
};

/** The carrier whose upgrade path is `path` (any query string ignored), if any. */
export function carrierForPath(path: string): CarrierName | undefined {
  const clean = path.split('?')[0];
  for (const [name, ep] of Object.entries(CARRIER_ENDPOINTS) as [CarrierName, CarrierEndpoint][]) {
    if (ep.path !== undefined && (clean === ep.path || clean?.startsWith(`${ep.path}/`))) {
      return name;
    }
  }
  return undefined;
}

/** A fresh serializer for one call. */
export function createSerializer<N extends CarrierName>(
  name: N,
  opts: CarrierOptions[N] = {},
): CarrierSerializer {
  switch (name) {
    case 'twilio':
      return new TwilioSerializer(opts as TwilioOptions);
    case 'telnyx':
      return new TelnyxSerializer(opts as TelnyxOptions);
    case 'vonage':
      return new VonageSerializer(opts as VonageOptions);
    case 'plivo':
      return new PlivoSerializer(opts as PlivoOptions);
    case 'exotel':
      return new ExotelSerializer(opts as ExotelOptions);
    case 'jambonz':
      return new JambonzSerializer(opts as JambonzOptions);
    case 'freeswitch':
      return new FreeswitchSerializer(opts as FreeswitchOptions);
    case 'asterisk-ws':
      return new AsteriskWsSerializer(opts as AsteriskWsOptions);
    case 'audiosocket':
      return new AudioSocketSerializer(opts as AudioSocketOptions);
    default:
      throw new RangeError(`unknown carrier ${String(name)}`);
  }
}
