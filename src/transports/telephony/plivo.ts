/**
 * Plivo `<Stream bidirectional="true">`. JSON text frames both ways, base64 audio in
 * L16 8 kHz (default), L16 16 kHz or µ-law 8 kHz (the `contentType` attribute). Reply
 * audio goes in `playAudio`, whose codec must not change within a call: it is locked to
 * the `start` format. Marks: `checkpoint{streamId,name}` → `playedStream` (the FAQ says
 * `played`; both are accepted). Clear: `clearAudio{streamId}` → `clearedAudio`.
 * Sources: docs.plivo.com/docs/voice/xml/audiostream; Plivo Audio Stream FAQ
 * (support.plivo.com); bolna-ai/bolna telephony providers.
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
  parseObject,
  quote,
  rateLike,
  shortString,
  uintLike,
  withSchema,
} from './wire-util.js';

export type PlivoContentType = 'audio/x-l16' | 'audio/x-mulaw';

export interface PlivoOptions {
  /** The `<Stream contentType>`, used until `start` states the format. */
  contentType?: 'audio/x-l16;rate=8000' | 'audio/x-l16;rate=16000' | 'audio/x-mulaw;rate=8000';
  /** Use this streamId before `start` arrives (tests, replays). */
  streamId?: string;
}

function plivoFormat(contentType: PlivoContentType, rate: number): CarrierMediaFormat {
  const encoding = contentType === 'audio/x-mulaw' ? 'mulaw' : 'pcm16';
  return makeFormat(encoding, rate, frameRule(encoding, rate));
}

/** `extra_headers` as Plivo sends them: "k1=v1;k2=v2" (the XML docs use commas). */
export function parseExtraHeaders(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      continue;
    }
    const key = part.slice(0, eq).trim();
    if (key !== '' && key !== '__proto__') {
      out[key] = part.slice(eq + 1).trim();
    }
  }
  return out;
}

const startSchema = z.object({
  start: z.object({
    callId: shortString,
    streamId: shortString,
    accountId: shortString.optional(),
    tracks: z.array(shortString).max(8).optional(),
    mediaFormat: z.object({ encoding: z.string().max(64), sampleRate: rateLike }),
  }),
  extra_headers: z.string().max(4096).optional(),
});

const mediaSchema = z.object({
  sequenceNumber: uintLike.optional(),
  media: z.object({
    track: shortString.optional(),
    timestamp: uintLike.optional(),
    chunk: uintLike.optional(),
    payload: base64Payload,
  }),
});

const dtmfSchema = z.union([
  z.object({ dtmf: z.object({ digit: dtmfDigit }) }),
  z.object({ digit: dtmfDigit }).transform((m) => ({ dtmf: m })),
]);
const playedSchema = z.object({ name: shortString });

const CAPABILITIES: CarrierCapabilities = { marks: true, clear: true, hangup: false, dtmf: true };

export class PlivoSerializer implements CarrierSerializer {
  readonly name = 'plivo' as const;
  readonly capabilities = CAPABILITIES;
  #format: CarrierMediaFormat | undefined;
  #contentType: PlivoContentType | undefined;
  #streamId: string | undefined;
  #started = false;
  readonly #chunker: Chunker;

  constructor(opts: PlivoOptions = {}) {
    this.#streamId = opts.streamId;
    if (opts.contentType !== undefined) {
      const [type, rate] = opts.contentType.split(';rate=');
      this.#contentType = type as PlivoContentType;
      this.#format = plivoFormat(this.#contentType, Number(rate));
    }
    const f = this.#format ?? plivoFormat('audio/x-l16', 8000);
    this.#chunker = new Chunker(f.chunk, silenceByte(f.encoding));
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      return error('Plivo sends JSON text frames only');
    }
    const parsed = parseObject(message);
    if (!parsed.ok) {
      return error(parsed.error);
    }
    const obj = parsed.value;
    const event = obj['event'];
    switch (event) {
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
      case 'playedStream':
      case 'played':
        return withSchema(event, playedSchema, obj, (m) => [{ kind: 'mark', name: m.name }]);
      case 'clearedAudio':
        return [{ kind: 'cleared' }];
      case 'stop':
        return [{ kind: 'stop', reason: 'stop' }];
      default:
        return typeof event === 'string'
          ? error(`unknown Plivo event ${quote(event)}`)
          : error('message has no string "event"');
    }
  }

  #start(m: z.infer<typeof startSchema>): InboundEvent[] {
    const enc = m.start.mediaFormat.encoding;
    if (enc !== 'audio/x-l16' && enc !== 'audio/x-mulaw') {
      return error(`unsupported Plivo encoding ${quote(enc)}`);
    }
    const rate = m.start.mediaFormat.sampleRate;
    // The playAudio codec may not change during a call: the first start's format wins.
    if (this.#started && (enc !== this.#contentType || rate !== this.#format?.sampleRateHz)) {
      return error('a second start changed the stream format');
    }
    this.#started = true;
    this.#streamId = m.start.streamId;
    this.#contentType = enc;
    this.#format = plivoFormat(enc, rate);
    this.#chunker.setRule(this.#format.chunk, silenceByte(this.#format.encoding));
    return [
      {
        kind: 'start',
        callId: m.start.callId,
        streamId: m.start.streamId,
        format: this.#format,
        customParameters: parseExtraHeaders(m.extra_headers ?? ''),
        ...compact({ accountId: m.start.accountId, tracks: m.start.tracks }),
      },
    ];
  }

  #playAudio(chunks: Buffer[]): WireMessage[] {
    const type = this.#contentType;
    const format = this.#format;
    if (type === undefined || format === undefined) {
      return [];
    }
    const prefix = `{"event":"playAudio","media":{"contentType":"${type}","sampleRate":${format.sampleRateHz},"payload":"`;
    return chunks.map((c) => `${prefix}${c.toString('base64')}"}}`);
  }

  media(payload: Buffer): WireMessage[] {
    if (this.#format === undefined) {
      return [];
    }
    return this.#playAudio(this.#chunker.push(payload));
  }

  flush(): WireMessage[] {
    return this.#playAudio(this.#chunker.flush());
  }

  mark(name: string): WireMessage[] | undefined {
    const id = this.#streamId;
    if (id === undefined) {
      return [];
    }
    return [...this.flush(), JSON.stringify({ event: 'checkpoint', streamId: id, name })];
  }

  clear(): WireMessage[] {
    this.#chunker.reset();
    const id = this.#streamId;
    return id === undefined ? [] : [JSON.stringify({ event: 'clearAudio', streamId: id })];
  }

  /** Plivo hangs up through its REST API; no in-band message. */
  hangup(): WireMessage[] | undefined {
    return undefined;
  }
}
