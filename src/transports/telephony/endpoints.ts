/**
 * Where each carrier connects: its upgrade path on the media listener (or the AudioSocket
 * TCP listener) and the WebSocket subprotocol it offers.
 */
import { JAMBONZ_SUBPROTOCOL } from './jambonz.js';
import type { CarrierName } from './types.js';

export interface CarrierEndpoint {
  readonly transport: 'websocket' | 'tcp';
  /** Upgrade path on the media listener; undefined for the AudioSocket TCP listener. */
  readonly path?: string;
  /** WebSocket subprotocol the carrier offers and the server must select. */
  readonly subprotocol?: string;
}

export const TELEPHONY_PATH_PREFIX = '/v1/telephony';

/** `websocket_client.conf` `protocols = media` (docs.asterisk.org res_websocket_client). */
export const ASTERISK_WS_SUBPROTOCOL = 'media';

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
  'asterisk-ws': {
    transport: 'websocket',
    path: `${TELEPHONY_PATH_PREFIX}/asterisk`,
    subprotocol: ASTERISK_WS_SUBPROTOCOL,
  },
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
