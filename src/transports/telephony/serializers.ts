/** A fresh serializer per call, by carrier name. */
import { AsteriskWsSerializer, type AsteriskWsOptions } from './asterisk-ws.js';
import { AudioSocketSerializer, type AudioSocketOptions } from './audiosocket.js';
import { ExotelSerializer, type ExotelOptions } from './exotel.js';
import { FreeswitchSerializer, type FreeswitchOptions } from './freeswitch.js';
import { JambonzSerializer, type JambonzOptions } from './jambonz.js';
import { PlivoSerializer, type PlivoOptions } from './plivo.js';
import { TelnyxSerializer, type TelnyxOptions } from './telnyx.js';
import { TwilioSerializer, type TwilioOptions } from './twilio.js';
import type { CarrierName, CarrierSerializer } from './types.js';
import { VonageSerializer, type VonageOptions } from './vonage.js';

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
