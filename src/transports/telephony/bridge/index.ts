/** The telephony ingress: carrier sockets and AudioSocket → relay sessions. */
export { createTelephonyModule, validateTelephonyOptions } from './telephony-module.js';
export {
  DEFAULT_TELEPHONY_OPTIONS,
  type AsteriskWsCarrierOptions,
  type AudioSocketListenerOptions,
  type AudioSocketResolver,
  type CallInfo,
  type CarrierBackpressure,
  type CarrierCommonOptions,
  type ExotelCarrierOptions,
  type FreeswitchCarrierOptions,
  type JambonzCarrierOptions,
  type PlivoCarrierOptions,
  type TelephonyCarriersOptions,
  type TelephonyModuleOptions,
  type TelnyxCarrierOptions,
  type TwilioCarrierOptions,
  type VonageCarrierOptions,
  type WsCarrierName,
} from './options.js';
export { CarrierTransport, MARK_PREFIX, type CarrierWire } from './carrier-transport.js';
export { CarrierCall } from './carrier-call.js';
export { OutboundAudio, decodeCarrier, encodeCarrier, isConvertible } from './audio-convert.js';
export { InboundAudio } from './inbound-audio.js';
export { START_CARRIES_PARAMETERS, gateUpgrade } from './gate.js';
export {
  telephonyConfigSchema,
  telephonyOptionsFromConfig,
  type TelephonyConfig,
} from './config-schema.js';
