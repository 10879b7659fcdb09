/**
 * Twilio Media Streams, bidirectional (`<Connect><Stream>`). JSON text frames both ways;
 * base64 µ-law 8 kHz, 20 ms = 160 B. Outbound messages carry the `streamSid` learned from
 * `start`. Marks are echoed once the audio before them played, or when it was cleared.
 * Source: twilio.com/docs/voice/media-streams/websocket-messages.
 */
import { z } from 'zod';
import { Chunker, frameRule, makeFormat, silenceByte } from './chunker.js';
import type {
  CarrierCapabilities,
  CarrierMediaFormat,
  CarrierSerializer,
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

export interface TwilioOptions {
  /** Use this streamSid before `start` arrives (tests, replays). */
  streamSid?: string;
  /** Bytes of µ-law per outbound media message; default 160 (20 ms). */
  chunkBytes?: number;
}

const ENCODINGS: Record<string, 'mulaw' | 'alaw' | 'pcm16'> = {
  'audio/x-mulaw': 'mulaw',
  'audio/x-alaw': 'alaw',
  'audio/x-l16': 'pcm16',
};

const startSchema = z.object({
  sequenceNumber: uintLike.optional(),
  streamSid: shortString.optional(),
  start: z.object({
    streamSid: shortString,
    accountSid: shortString.optional(),
    callSid: shortString,
    tracks: z.array(shortString).max(8).optional(),
    customParameters: z.unknown().optional(),
    mediaFormat: z
      .object({
        encoding: z.string().max(64),
        sampleRate: rateLike,
        channels: uintLike.optional(),
      })
      .optional(),
  }),
});

const mediaSchema = z.object({
  sequenceNumber: uintLike.optional(),
  media: z.object({
    track: shortString.optional(),
    chunk: uintLike.optional(),
    timestamp: uintLike.optional(),
    payload: base64Payload,
  }),
});

const dtmfSchema = z.object({
  dtmf: z.object({ track: shortString.optional(), digit: dtmfDigit }),
});
const markSchema = z.object({ mark: z.object({ name: shortString }) });

const CAPABILITIES: CarrierCapabilities = { marks: true, clear: true, hangup: false, dtmf: true };

export class TwilioSerializer implements CarrierSerializer {
  readonly name = 'twilio' as const;
  readonly capabilities = CAPABILITIES;
  #streamSid: string | undefined;
  #format: CarrierMediaFormat | undefined;
  readonly #chunkBytes: number;
  readonly #chunker: Chunker;

  constructor(opts: TwilioOptions = {}) {
    this.#streamSid = opts.streamSid;
    this.#chunkBytes = Math.max(1, Math.floor(opts.chunkBytes ?? 160));
    this.#format = this.#makeFormat('mulaw', 8000, 1);
    this.#chunker = new Chunker(this.#format.chunk, silenceByte('mulaw'));
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get streamSid(): string | undefined {
    return this.#streamSid;
  }

  #makeFormat(
    encoding: 'mulaw' | 'alaw' | 'pcm16',
    rate: number,
    channels: number,
  ): CarrierMediaFormat {
    const rule = frameRule(encoding, rate, channels);
    const max = Math.max(rule.alignBytes, this.#chunkBytes - (this.#chunkBytes % rule.alignBytes));
    return makeFormat(encoding, rate, { ...rule, maxBytes: max }, channels);
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      return error('Twilio sends JSON text frames only');
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
              seq: m.sequenceNumber,
              chunk: m.media.chunk,
              timestampMs: m.media.timestamp,
              track: m.media.track,
            }),
          },
        ]);
      case 'dtmf':
        return withSchema('dtmf', dtmfSchema, obj, (m) => [{ kind: 'dtmf', digit: m.dtmf.digit }]);
      case 'mark':
        return withSchema('mark', markSchema, obj, (m) => [{ kind: 'mark', name: m.mark.name }]);
      case 'stop':
        return [{ kind: 'stop', reason: 'stop' }];
      default:
        return typeof event === 'string'
          ? error(`unknown Twilio event ${quote(event)}`)
          : error('message has no string "event"');
    }
  }

  #start(m: z.infer<typeof startSchema>): InboundEvent[] {
    const mf = m.start.mediaFormat;
    const encoding = mf === undefined ? 'mulaw' : ENCODINGS[mf.encoding];
    if (encoding === undefined) {
      return error(`unsupported Twilio media encoding ${quote(mf?.encoding ?? '')}`);
    }
    const channels = mf?.channels ?? 1;
    if (channels < 1 || channels > 2) {
      return error(`unsupported channel count ${channels}`);
    }
    this.#streamSid = m.start.streamSid;
    this.#format = this.#makeFormat(encoding, mf?.sampleRate ?? 8000, channels);
    this.#chunker.setRule(this.#format.chunk, silenceByte(encoding));
    return [
      {
        kind: 'start',
        callId: m.start.callSid,
        streamId: m.start.streamSid,
        format: this.#format,
        customParameters: stringRecord(m.start.customParameters),
        ...compact({ accountId: m.start.accountSid, tracks: m.start.tracks }),
      },
    ];
  }

  #mediaMessages(chunks: Buffer[]): WireMessage[] {
    return sidMediaMessages('streamSid', this.#streamSid, chunks);
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
    return [...this.flush(), sidMark('streamSid', sid, name)];
  }

  clear(): WireMessage[] {
    this.#chunker.reset();
    return sidClear('streamSid', this.#streamSid);
  }

  /** Twilio has no in-band hang-up: end the call with the REST API or close the socket. */
  hangup(): WireMessage[] | undefined {
    return undefined;
  }
}
