/**
 * Telnyx media streaming (bidirectional, `stream_bidirectional_mode: "rtp"`). JSON text
 * frames both ways; payloads are base64 RTP payloads (no RTP header). Telnyx does not
 * guarantee order: every media event carries `seq` (sequence_number), `chunk` and
 * `timestampMs` so the adapter can reorder. Outbound RTP chunks hold 20 ms to 30 s.
 * Source: developers.telnyx.com/api-reference/websockets/stream-call-media-over-websocket.
 */
import { z } from 'zod';
import {
  Chunker,
  makeFormat,
  PASS_THROUGH,
  sampleAlign,
  frameBytesOf,
  silenceByte,
} from './chunker.js';
import type {
  CarrierCapabilities,
  CarrierEncoding,
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

export interface TelnyxOptions {
  /**
   * Codec and rate of the audio Telnyx expects back (`stream_bidirectional_codec` /
   * `stream_bidirectional_sampling_rate`), when they differ from the inbound stream.
   */
  outbound?: { encoding: TelnyxCodec; sampleRateHz: number };
}

export type TelnyxCodec = 'PCMU' | 'PCMA' | 'G722' | 'OPUS' | 'AMR-WB' | 'L16';

const CODECS: Record<TelnyxCodec, CarrierEncoding> = {
  PCMU: 'mulaw',
  PCMA: 'alaw',
  G722: 'g722',
  OPUS: 'opus',
  'AMR-WB': 'amr-wb',
  L16: 'pcm16be',
};

function isTelnyxCodec(value: string): value is TelnyxCodec {
  return Object.hasOwn(CODECS, value);
}

/** 30 s of audio: the longest outbound RTP chunk Telnyx accepts. */
const MAX_CHUNK_MS = 30_000;

export function telnyxFormat(
  codec: TelnyxCodec,
  sampleRateHz: number,
  channels = 1,
): CarrierMediaFormat {
  const encoding = CODECS[codec];
  const frame = frameBytesOf(encoding, sampleRateHz, channels);
  let rule: ChunkRule = PASS_THROUGH;
  if (frame > 0) {
    const align = sampleAlign(encoding, channels);
    const max = frame * (MAX_CHUNK_MS / 20);
    // At least 20 ms per message; a shorter tail waits for more audio or flush().
    rule = { alignBytes: align, minBytes: frame, maxBytes: max - (max % align) };
  }
  return makeFormat(encoding, sampleRateHz, rule, channels);
}

const startSchema = z.object({
  sequence_number: uintLike.optional(),
  stream_id: shortString,
  start: z.object({
    user_id: shortString.optional(),
    call_control_id: shortString,
    call_session_id: shortString.optional(),
    from: shortString.optional(),
    to: shortString.optional(),
    client_state: shortString.optional(),
    custom_parameters: z.unknown().optional(),
    media_format: z.object({
      encoding: z.string().max(16),
      sample_rate: rateLike,
      channels: uintLike.optional(),
    }),
  }),
});

const mediaSchema = z.object({
  sequence_number: uintLike.optional(),
  media: z.object({
    track: shortString.optional(),
    chunk: uintLike.optional(),
    timestamp: uintLike.optional(),
    payload: base64Payload,
  }),
});

const dtmfSchema = z.object({ dtmf: z.object({ digit: dtmfDigit }) });
const markSchema = z.object({ mark: z.object({ name: shortString }) });
const errorSchema = z.object({
  payload: z
    .object({
      code: z.union([z.number(), z.string().max(64)]).optional(),
      title: z.string().max(256).optional(),
      detail: z.string().max(1024).optional(),
    })
    .optional(),
});

const CAPABILITIES: CarrierCapabilities = { marks: true, clear: true, hangup: false, dtmf: true };

export class TelnyxSerializer implements CarrierSerializer {
  readonly name = 'telnyx' as const;
  readonly capabilities = CAPABILITIES;
  #format: CarrierMediaFormat | undefined;
  #output: CarrierMediaFormat | undefined;
  readonly #chunker = new Chunker(PASS_THROUGH, 0);

  constructor(opts: TelnyxOptions = {}) {
    if (opts.outbound !== undefined) {
      this.#setOutput(telnyxFormat(opts.outbound.encoding, opts.outbound.sampleRateHz));
    }
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#output;
  }

  #setOutput(format: CarrierMediaFormat): void {
    this.#output = format;
    this.#chunker.setRule(format.chunk, silenceByte(format.encoding));
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      return error('Telnyx sends JSON text frames only');
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
              track: m.media.track,
            }),
          },
        ]);
      case 'dtmf':
        return withSchema('dtmf', dtmfSchema, obj, (m) => [{ kind: 'dtmf', digit: m.dtmf.digit }]);
      case 'mark':
        return withSchema('mark', markSchema, obj, (m) => [{ kind: 'mark', name: m.mark.name }]);
      case 'error':
        return withSchema('error', errorSchema, obj, (m) => {
          const p = m.payload;
          const code = p?.code === undefined ? '' : ` ${String(p.code)}`;
          const text = [p?.title, p?.detail].filter((x) => x !== undefined).join(': ');
          return [
            {
              kind: 'error',
              reason: `Telnyx error${code}${text === '' ? '' : `: ${text}`}`,
              reported: true,
            },
          ];
        });
      case 'stop':
        return [{ kind: 'stop', reason: 'stop' }];
      default:
        return typeof event === 'string'
          ? error(`unknown Telnyx event ${quote(event)}`)
          : error('message has no string "event"');
    }
  }

  #start(m: z.infer<typeof startSchema>): InboundEvent[] {
    const mf = m.start.media_format;
    const codec = mf.encoding.toUpperCase();
    if (!isTelnyxCodec(codec)) {
      return error(`unsupported Telnyx encoding ${quote(mf.encoding)}`);
    }
    const channels = mf.channels ?? 1;
    if (channels < 1 || channels > 2) {
      return error(`unsupported channel count ${channels}`);
    }
    this.#format = telnyxFormat(codec, mf.sample_rate, channels);
    if (this.#output === undefined) {
      this.#setOutput(telnyxFormat(codec, mf.sample_rate));
    }
    const params = stringRecord(m.start.custom_parameters);
    return [
      {
        kind: 'start',
        callId: m.start.call_control_id,
        streamId: m.stream_id,
        format: this.#format,
        customParameters: params,
        ...compact({ accountId: m.start.user_id }),
      },
    ];
  }

  #mediaMessages(chunks: Buffer[]): WireMessage[] {
    return chunks.map((c) => `{"event":"media","media":{"payload":"${c.toString('base64')}"}}`);
  }

  media(payload: Buffer): WireMessage[] {
    return this.#mediaMessages(this.#chunker.push(payload));
  }

  flush(): WireMessage[] {
    return this.#mediaMessages(this.#chunker.flush());
  }

  mark(name: string): WireMessage[] | undefined {
    return [...this.flush(), JSON.stringify({ event: 'mark', mark: { name } })];
  }

  clear(): WireMessage[] {
    this.#chunker.reset();
    return ['{"event":"clear"}'];
  }

  /** Telnyx hangs up through Call Control (REST), not over the media socket. */
  hangup(): WireMessage[] | undefined {
    return undefined;
  }
}
