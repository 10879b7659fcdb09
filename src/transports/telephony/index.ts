/**
 * Carrier serializer registry: one pure serializer per carrier protocol, the media path
 * (or TCP listener) each carrier connects to, and its WebSocket subprotocol if any.
 * See README.md in this folder for the per-carrier table.
 */
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
export {
  ASTERISK_WS_SUBPROTOCOL,
  CARRIER_ENDPOINTS,
  TELEPHONY_PATH_PREFIX,
  carrierForPath,
  type CarrierEndpoint,
} from './endpoints.js';
export { createSerializer, type CarrierOptions } from './serializers.js';
export * from './bridge/index.js';
