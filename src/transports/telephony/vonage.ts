/**
 * Vonage Voice API WebSockets. The first frame is JSON text (`websocket:connected`, with
 * the content-type and the NCCO endpoint's `headers` flattened into it); after that audio
 * is binary 16-bit LE PCM in 20 ms frames (320 B at 8 kHz, 640 B at 16 kHz) both ways.
 * Control: `{"action":"notify","payload":…}` → `websocket:notify` once the queued audio
 * played; `{"action":"clear"}` → `websocket:cleared`. DTMF arrives as `websocket:dtmf`.
 * Sources: developer.vonage.com/voice/voice-api/concepts/websockets;
 * developer.nexmo.com/voice/voice-api/guides/websockets.
 */
import { z } from 'zod';
import { Chunker, exactFrameRule, makeFormat } from './chunker.js';
import type {
  CarrierCapabilities,
  CarrierMediaFormat,
  CarrierSerializer,
  InboundEvent,
  WireMessage,
} from './types.js';
import {
  compact,
  dtmfDigit,
  error,
  parseObject,
  quote,
  shortString,
  stringRecord,
  uintLike,
  withSchema,
} from './wire-util.js';

export type VonageRate = 8000 | 16000 | 24000;

export interface VonageOptions {
  /** Rate from the NCCO content-type, used until `websocket:connected` states it. */
  sampleRateHz?: VonageRate;
}

export function vonageFormat(rate: number): CarrierMediaFormat {
  return makeFormat('pcm16', rate, exactFrameRule('pcm16', rate));
}

const CONTENT_TYPE_RE = /^audio\/l16;\s*rate=(8000|16000|24000)$/i;

const connectedSchema = z.object({ 'content-type': z.string().max(128) });
const dtmfSchema = z.object({ digit: dtmfDigit, duration: uintLike.optional() });
const notifySchema = z.object({ payload: z.object({ name: shortString }) });

const CAPABILITIES: CarrierCapabilities = { marks: true, clear: true, hangup: false, dtmf: true };

export class VonageSerializer implements CarrierSerializer {
  readonly name = 'vonage' as const;
  readonly capabilities = CAPABILITIES;
  #format: CarrierMediaFormat | undefined;
  readonly #chunker: Chunker;

  constructor(opts: VonageOptions = {}) {
    this.#format = opts.sampleRateHz === undefined ? undefined : vonageFormat(opts.sampleRateHz);
    this.#chunker = new Chunker(exactFrameRule('pcm16', opts.sampleRateHz ?? 8000), 0);
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      if (typeof message === 'string') {
        return error('binary frame given as a string');
      }
      if (message.length % 2 !== 0) {
        return error(`odd-length L16 frame (${message.length} bytes)`);
      }
      return [{ kind: 'media', payload: message }];
    }
    const parsed = parseObject(message);
    if (!parsed.ok) {
      return error(parsed.error);
    }
    const obj = parsed.value;
    // Older Vonage first messages carry only the content-type and the custom headers.
    const event =
      obj['event'] === undefined && 'content-type' in obj ? 'websocket:connected' : obj['event'];
    switch (event) {
      case 'websocket:connected':
        return withSchema('websocket:connected', connectedSchema, obj, (m) => {
          const rate = CONTENT_TYPE_RE.exec(m['content-type'].trim())?.[1];
          if (rate === undefined) {
            return error(`unsupported content-type ${quote(m['content-type'])}`);
          }
          this.#format = vonageFormat(Number(rate));
          this.#chunker.setRule(this.#format.chunk, 0);
          return [
            {
              kind: 'start',
              format: this.#format,
              customParameters: stringRecord(obj, ['event', 'content-type']),
            },
          ];
        });
      case 'websocket:dtmf':
        return withSchema('websocket:dtmf', dtmfSchema, obj, (m) => [
          { kind: 'dtmf', digit: m.digit, ...compact({ durationMs: m.duration }) },
        ]);
      case 'websocket:notify':
        return withSchema('websocket:notify', notifySchema, obj, (m) => [
          { kind: 'mark', name: m.payload.name },
        ]);
      case 'websocket:cleared':
        return [{ kind: 'cleared' }];
      default:
        return typeof event === 'string'
          ? error(`unknown Vonage event ${quote(event)}`)
          : error('message has no string "event"');
    }
  }

  media(payload: Buffer): WireMessage[] {
    return this.#chunker.push(payload);
  }

  flush(): WireMessage[] {
    return this.#chunker.flush();
  }

  mark(name: string): WireMessage[] | undefined {
    return [...this.flush(), JSON.stringify({ action: 'notify', payload: { name } })];
  }

  clear(): WireMessage[] {
    this.#chunker.reset();
    return ['{"action":"clear"}'];
  }

  /** Vonage ends the leg when the socket closes (or via the REST API); no message. */
  hangup(): WireMessage[] | undefined {
    return undefined;
  }
}
