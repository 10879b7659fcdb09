/**
 * Exotel Voicebot (AgentStream, bidirectional). JSON text frames with snake_case fields;
 * base64 PCM16LE at 8, 16 or 24 kHz (`?sample-rate=` on the URL). Inbound chunks are
 * ~100 ms. Outbound chunks must be 3.2–100 KB and a multiple of 320 B: shorter audio is
 * held until it makes 3.2 KB, and `flush()` pads the tail with silence.
 * Sources: developer.exotel.com/docs/agentstream/websocket-protocol;
 * developer.exotel.com/docs/agentstream/stream-voicebot-applet; Exotel support article
 * 3000108630.
 */
import { z } from 'zod';
import { Chunker, makeFormat } from './chunker.js';
import type {
  CarrierCapabilities,
  CarrierMediaFormat,
  CarrierSerializer,
  ChunkRule,
  InboundEvent,
  WireMessage,
} from './types.js';
import {
  base64Payload,
  compact,
  dtmfDigit,
  error,
  ignored,
  parseObject,
  quote,
  rateLike,
  shortString,
  stringRecord,
  uintLike,
  withSchema,
} from './wire-util.js';
import { sidClear, sidMark, sidMediaMessages } from './stream-sid-wire.js';

export type ExotelRate = 8000 | 16000 | 24000;

export interface ExotelOptions {
  /** The `?sample-rate=` of the stream URL; default 8000 until `start` states it. */
  sampleRateHz?: ExotelRate;
  /** Use this stream_sid before `start` arrives (tests, replays). */
  streamSid?: string;
}

/** 3.2 KB minimum, 100 KB maximum (taken as 100 000 B), multiples of 320 B. */
export const EXOTEL_CHUNK: ChunkRule = { alignBytes: 320, minBytes: 3200, maxBytes: 99_840 };

export function exotelFormat(rate: number): CarrierMediaFormat {
  return makeFormat('pcm16', rate, EXOTEL_CHUNK);
}

const RATES = new Set([8000, 16000, 24000]);

const startSchema = z.object({
  stream_sid: shortString.optional(),
  start: z.object({
    stream_sid: shortString,
    call_sid: shortString,
    account_sid: shortString.optional(),
    from: shortString.optional(),
    to: shortString.optional(),
    custom_parameters: z.unknown().optional(),
    media_format: z
      .object({
        encoding: z.string().max(64).optional(),
        sample_rate: rateLike,
        bit_rate: z.union([z.string().max(16), z.number()]).optional(),
      })
      .optional(),
  }),
});

const mediaSchema = z.object({
  sequence_number: uintLike.optional(),
  media: z.object({
    chunk: uintLike.optional(),
    timestamp: uintLike.optional(),
    payload: base64Payload,
  }),
});

/** Nested `dtmf{digit,duration}` as documented; a flat form is accepted too. */
const dtmfSchema = z.union([
  z.object({ dtmf: z.object({ digit: dtmfDigit, duration: uintLike.optional() }) }),
  z.object({ digit: dtmfDigit, duration: uintLike.optional() }).transform((m) => ({ dtmf: m })),
]);
const markSchema = z.object({ mark: z.object({ name: shortString }) });
const stopSchema = z.object({
  stop: z.object({ reason: z.string().max(256).optional() }).optional(),
});

const CAPABILITIES: CarrierCapabilities = { marks: true, clear: true, hangup: false, dtmf: true };

export class ExotelSerializer implements CarrierSerializer {
  readonly name = 'exotel' as const;
  readonly capabilities = CAPABILITIES;
  #format: CarrierMediaFormat;
  #streamSid: string | undefined;
  readonly #chunker = new Chunker(EXOTEL_CHUNK, 0);

  constructor(opts: ExotelOptions = {}) {
    this.#format = exotelFormat(opts.sampleRateHz ?? 8000);
    this.#streamSid = opts.streamSid;
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      return error('Exotel sends JSON text frames only');
    }
    const parsed = parseObject(message);
    if (!parsed.ok) {
      return error(parsed.error);
    }
    const obj = parsed.value;
    const event = obj['event'];
    switch (event) {
      case 'connected':
        return ignored('connected');
      case 'start':
        return withSchema('start', startSchema, obj, (m) => this.#start(m));
      case 'media':
        return withSchema('media', mediaSchema, obj, (m) => [
          {
            kind: 'media',
            payload: m.media.payload,
            ...compact({
              seq: m.sequence_number,
              chunk: m.media.chunk,
              timestampMs: m.media.timestamp,
            }),
          },
        ]);
      case 'dtmf':
        return withSchema('dtmf', dtmfSchema, obj, (m) => [
          { kind: 'dtmf', digit: m.dtmf.digit, ...compact({ durationMs: m.dtmf.duration }) },
        ]);
      case 'mark':
        return withSchema('mark', markSchema, obj, (m) => [{ kind: 'mark', name: m.mark.name }]);
      case 'stop':
        return withSchema('stop', stopSchema, obj, (m) => [
          { kind: 'stop', reason: m.stop?.reason ?? 'stop' },
        ]);
      default:
        return typeof event === 'string'
          ? error(`unknown Exotel event ${quote(event)}`)
          : error('message has no string "event"');
    }
  }

  #start(m: z.infer<typeof startSchema>): InboundEvent[] {
    const rate = m.start.media_format?.sample_rate ?? this.#format.sampleRateHz;
    if (!RATES.has(rate)) {
      return error(`unsupported Exotel sample rate ${rate}`);
    }
    this.#streamSid = m.start.stream_sid;
    this.#format = exotelFormat(rate);
    return [
      {
        kind: 'start',
        callId: m.start.call_sid,
        streamId: m.start.stream_sid,
        format: this.#format,
        customParameters: stringRecord(m.start.custom_parameters),
        ...compact({ accountId: m.start.account_sid }),
      },
    ];
  }

  #mediaMessages(chunks: Buffer[]): WireMessage[] {
    return sidMediaMessages('stream_sid', this.#streamSid, chunks);
  }

  media(payload: Buffer): WireMessage[] {
    if (this.#streamSid === undefined) {
      return [];
    }
    return this.#mediaMessages(this.#chunker.push(payload));
  }

  flush(): WireMessage[] {
    return this.#mediaMessages(this.#chunker.flush());
  }

  mark(name: string): WireMessage[] | undefined {
    const sid = this.#streamSid;
    if (sid === undefined) {
      return [];
    }
    return [...this.flush(), sidMark('stream_sid', sid, name)];
  }

  clear(): WireMessage[] {
    this.#chunker.reset();
    return sidClear('stream_sid', this.#streamSid);
  }

  /** Exotel ends the stream by closing the socket (the flow moves to the next applet). */
  hangup(): WireMessage[] | undefined {
    return undefined;
  }
}
