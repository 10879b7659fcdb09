/**
 * The common contract of the carrier serializers (architecture section 6). A serializer
 * is pure: no I/O, no timers, no clock reads. It maps one carrier's wire messages to
 * `InboundEvent`s and reply audio / control to wire messages. Codec work (G.711,
 * resampling) is not its job: payloads are codec bytes in the carrier's format.
 *
 * Wire convention: a `string` is a WebSocket TEXT frame, a `Buffer` a BINARY frame
 * (for AudioSocket, bytes to write to the TCP socket).
 */
import type { AudioCodecName } from '../../media/codecs/codec.js';

export type CarrierName =
  | 'twilio'
  | 'telnyx'
  | 'vonage'
  | 'plivo'
  | 'exotel'
  | 'jambonz'
  | 'freeswitch'
  | 'asterisk-ws'
  | 'audiosocket';

export const CARRIER_NAMES: readonly CarrierName[] = [
  'twilio',
  'telnyx',
  'vonage',
  'plivo',
  'exotel',
  'jambonz',
  'freeswitch',
  'asterisk-ws',
  'audiosocket',
];

/**
 * Codec of the bytes on the wire. `pcm16` is little-endian. `pcm16be` is L16 in network
 * byte order (RTP payloads, RFC 3551), as Telnyx carries them. `g722`, `opus` and
 * `amr-wb` are passed through untouched; the relay's codecs do not handle them.
 */
export type CarrierEncoding = AudioCodecName | 'pcm16be' | 'g722' | 'opus' | 'amr-wb';

/**
 * How reply audio is cut into wire messages. Every message carries a multiple of
 * `alignBytes`, at least `minBytes` and at most `maxBytes`. Audio that does not yet make
 * `minBytes` is held until more arrives or `flush()` pads it with silence.
 */
export interface ChunkRule {
  readonly alignBytes: number;
  readonly minBytes: number;
  /** `Infinity` for packetised codecs (Opus, AMR-WB): one payload, one message. */
  readonly maxBytes: number;
}

export interface CarrierMediaFormat {
  readonly encoding: CarrierEncoding;
  readonly sampleRateHz: number;
  readonly channels: number;
  /** Bytes of one 20 ms frame (all channels); 0 for variable-rate codecs. */
  readonly frameBytes: number;
  /** Outbound chunking rule (meaningful on `outputFormat`). */
  readonly chunk: ChunkRule;
}

export interface StartEvent {
  kind: 'start';
  /** Carrier call id (callSid, call_control_id, AudioSocket UUID, ...) when the wire has one. */
  callId?: string;
  /** Stream id (streamSid, stream_id, connection_id) when the wire has one. */
  streamId?: string;
  accountId?: string;
  /** Format of the inbound audio. */
  format: CarrierMediaFormat;
  /** `<Parameter>`s, custom_parameters, Vonage headers, jambonz metadata, ... */
  customParameters: Record<string, string>;
  tracks?: string[];
}

export type InboundEvent =
  | StartEvent
  | {
      kind: 'media';
      /** Codec bytes in `format` (a view of the wire buffer for binary carriers). */
      payload: Buffer;
      /** Message sequence number, when the carrier numbers messages (reorder key). */
      seq?: number;
      /** Media chunk number (Twilio, Telnyx, Plivo, Exotel). */
      chunk?: number;
      /** Carrier timestamp in ms (stream-relative, or Unix ms for Plivo). */
      timestampMs?: number;
      track?: string;
    }
  /** Playback acknowledgement of a mark sent with `mark(name)`. */
  | { kind: 'mark'; name: string }
  /** The carrier confirmed a `clear()` (Plivo clearedAudio, Vonage websocket:cleared). */
  | { kind: 'cleared' }
  | { kind: 'dtmf'; digit: string; durationMs?: number }
  | { kind: 'stop'; reason?: string }
  /** Valid but irrelevant to the relay (connected, flow-control notices, ...). */
  | { kind: 'ignored'; reason: string }
  /**
   * Malformed or unexpected input, or an error the carrier reported (`reported: true`:
   * Telnyx `error`, chan_websocket `ERROR`, AudioSocket `0xff`). Never thrown.
   * `fatal: true` ends the call at once (the protocol cannot go on).
   */
  | { kind: 'error'; reason: string; reported?: boolean; fatal?: boolean };

export type InboundKind = InboundEvent['kind'];

export type WireMessage = string | Buffer;

export interface CarrierCapabilities {
  /** `mark()` yields a message the carrier acknowledges after playout. */
  readonly marks: boolean;
  /** `clear()` yields a message that empties the carrier's playback buffer. */
  readonly clear: boolean;
  /** `hangup()` yields a message that ends the call (or the media leg). */
  readonly hangup: boolean;
  readonly dtmf: boolean;
}

export interface CarrierSerializer {
  readonly name: CarrierName;
  readonly capabilities: CarrierCapabilities;
  /** Inbound audio format: known after `start`, or fixed by options for some carriers. */
  readonly format: CarrierMediaFormat | undefined;
  /** Format `media()` expects; usually equal to `format`. */
  readonly outputFormat: CarrierMediaFormat | undefined;
  /**
   * Parse one inbound wire message (for AudioSocket: the next bytes of the TCP stream).
   * Never throws. Returns at least one event, except AudioSocket, which returns none
   * while a message is incomplete.
   */
  parse(message: string | Buffer, isBinary: boolean): InboundEvent[];
  /**
   * Reply audio (codec bytes in `outputFormat`) → wire messages, obeying the carrier's
   * chunk rule. May hold back a tail shorter than the minimum chunk; see `flush()`.
   * Returns [] before the carrier's `start` when outbound messages need its ids.
   */
  media(payload: Buffer): WireMessage[];
  /** Emit held-back audio, padded with silence to a valid chunk (end of a reply). */
  flush(): WireMessage[];
  /**
   * Held-back audio (flushed) followed by a playback mark the carrier acknowledges once
   * everything before it was played. `undefined` when the carrier has no marks: the relay
   * then estimates playout from the paced clock.
   */
  mark(name: string): WireMessage[] | undefined;
  /** Drop held-back audio and clear the carrier's playback buffer (barge-in). */
  clear(): WireMessage[];
  /** End the call / media leg in-band; `undefined` when the protocol has no way. */
  hangup(): WireMessage[] | undefined;
}
