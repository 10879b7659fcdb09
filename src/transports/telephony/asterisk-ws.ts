/**
 * Asterisk `chan_websocket` (Asterisk 20.16/21.11/22.6/23+). BINARY frames carry raw
 * media (µ-law: 160 B per 20 ms); TEXT frames carry control, either plain text
 * (`NAME key:value …`, the default, deprecated) or JSON (`{"event":…}` /
 * `{"command":…}`, 20.18/22.8/23.2+). `MEDIA_START` states the format and
 * `optimal_frame_size`; reply audio is sent in multiples of it (Asterisk drops a partial
 * frame), at most 65 500 B per message. Marks: `MARK_MEDIA <id>` →
 * `MEDIA_MARK_PROCESSED` (22.6+). Clear: `FLUSH_MEDIA`. Hang-up: `HANGUP`.
 * Sources: the spec (Bolna's use of chan_websocket); docs.asterisk.org
 * Configuration/Channel-Drivers/WebSocket for the command set and the JSON format.
 */
import { Chunker, makeFormat, silenceByte } from './chunker.js';
import type {
  CarrierCapabilities,
  CarrierEncoding,
  CarrierMediaFormat,
  CarrierSerializer,
  InboundEvent,
  WireMessage,
} from './types.js';
import {
  error,
  ignored,
  MAX_NAME_CHARS,
  parseObjectText,
  quote,
  stringRecord,
  textOf,
} from './wire-util.js';

export type AsteriskControlFormat = 'plain-text' | 'json';

export interface AsteriskWsOptions {
  /** Control format; default: follow `MEDIA_START`, plain text until then. */
  controlFormat?: AsteriskControlFormat;
  /** The dialstring codec `c(…)`, used until `MEDIA_START` states it. Default `ulaw`. */
  codec?: string;
}

/** Asterisk's websocket layer closes the call on messages above this size. */
const MAX_MESSAGE_BYTES = 65_500;

const CODECS: Record<string, { encoding: CarrierEncoding; rate: number }> = {
  ulaw: { encoding: 'mulaw', rate: 8000 },
  alaw: { encoding: 'alaw', rate: 8000 },
  slin: { encoding: 'pcm16', rate: 8000 },
  slin12: { encoding: 'pcm16', rate: 12000 },
  slin16: { encoding: 'pcm16', rate: 16000 },
  slin24: { encoding: 'pcm16', rate: 24000 },
  slin32: { encoding: 'pcm16', rate: 32000 },
  slin44: { encoding: 'pcm16', rate: 44100 },
  slin48: { encoding: 'pcm16', rate: 48000 },
  slin96: { encoding: 'pcm16', rate: 96000 },
  slin192: { encoding: 'pcm16', rate: 192000 },
  g722: { encoding: 'g722', rate: 16000 },
  opus: { encoding: 'opus', rate: 48000 },
};

export function asteriskFormat(
  codec: string,
  optimalFrameSize?: number,
): CarrierMediaFormat | undefined {
  const c = Object.hasOwn(CODECS, codec) ? CODECS[codec] : undefined;
  if (c === undefined) {
    return undefined;
  }
  const f = makeFormat(c.encoding, c.rate, { alignBytes: 1, minBytes: 1, maxBytes: Infinity });
  if (c.encoding === 'opus') {
    return f; // passthrough mode: one packet per message
  }
  const frame =
    optimalFrameSize !== undefined && optimalFrameSize > 0 ? optimalFrameSize : f.frameBytes;
  const max = MAX_MESSAGE_BYTES - (MAX_MESSAGE_BYTES % frame);
  return { ...f, frameBytes: frame, chunk: { alignBytes: frame, minBytes: frame, maxBytes: max } };
}

const ULAW = makeFormat('mulaw', 8000, { alignBytes: 160, minBytes: 160, maxBytes: 65_440 });

interface Control {
  name: string;
  /** key:value parameters (plain text) or the JSON members. */
  params: Record<string, string>;
  /** Plain-text positional parameters (tokens without a colon). */
  args: string[];
}

function parsePlain(text: string): Control | undefined {
  const tokens = text.trim().split(/\s+/);
  const name = tokens.shift();
  if (name === undefined || !/^[A-Z][A-Z_]{0,63}$/.test(name)) {
    return undefined;
  }
  const params: Record<string, string> = {};
  const args: string[] = [];
  for (const t of tokens) {
    const colon = t.indexOf(':');
    if (colon > 0 && t.slice(0, colon) !== '__proto__') {
      params[t.slice(0, colon)] = t.slice(colon + 1);
    } else {
      args.push(t);
    }
  }
  return { name, params, args };
}

function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const CAPABILITIES: CarrierCapabilities = { marks: true, clear: true, hangup: true, dtmf: true };

export class AsteriskWsSerializer implements CarrierSerializer {
  readonly name = 'asterisk-ws' as const;
  readonly capabilities = CAPABILITIES;
  #format: CarrierMediaFormat | undefined;
  #control: AsteriskControlFormat;
  readonly #forced: boolean;
  readonly #chunker: Chunker;

  constructor(opts: AsteriskWsOptions = {}) {
    this.#control = opts.controlFormat ?? 'plain-text';
    this.#forced = opts.controlFormat !== undefined;
    this.#format = asteriskFormat(opts.codec ?? 'ulaw');
    // An unknown dialstring codec leaves the format open until MEDIA_START.
    const initial = this.#format ?? ULAW;
    this.#chunker = new Chunker(initial.chunk, silenceByte(initial.encoding));
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get controlFormat(): AsteriskControlFormat {
    return this.#control;
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      return typeof message === 'string'
        ? error('binary frame given as a string')
        : [{ kind: 'media', payload: message }];
    }
    const text = textOf(message);
    if (!text.ok) {
      return error(text.error);
    }
    const trimmed = text.value.trimStart();
    let control: Control | undefined;
    let json = false;
    if (trimmed.startsWith('{')) {
      const obj = parseObjectText(trimmed);
      if (!obj.ok) {
        return error(obj.error);
      }
      const name = obj.value['event'];
      if (typeof name !== 'string') {
        return error('JSON control message has no string "event"');
      }
      json = true;
      control = { name, params: stringRecord(obj.value), args: [] };
    } else {
      control = parsePlain(trimmed);
      if (control === undefined) {
        return error('not an Asterisk control message');
      }
    }
    return this.#handle(control, json);
  }

  #handle(c: Control, json: boolean): InboundEvent[] {
    switch (c.name) {
      case 'MEDIA_START': {
        const codec = c.params['format'] ?? '';
        const size = Number(c.params['optimal_frame_size'] ?? '');
        const format = asteriskFormat(
          codec,
          Number.isInteger(size) && size > 0 && size <= 65_500 ? size : undefined,
        );
        if (format === undefined) {
          return error(`unsupported chan_websocket format ${quote(codec)}`);
        }
        if (!this.#forced) {
          this.#control = json ? 'json' : 'plain-text';
        }
        this.#format = format;
        this.#chunker.setRule(format.chunk, silenceByte(format.encoding));
        const callId = c.params['channel_id'] ?? c.params['channel'];
        const streamId = c.params['connection_id'];
        const params: Record<string, string> = {};
        for (const key of ['channel', 'channel_id', 'connection_id', 'ptime']) {
          const v = c.params[key];
          if (v !== undefined) {
            params[key] = v;
          }
        }
        return [
          {
            kind: 'start',
            format,
            customParameters: params,
            ...(callId === undefined ? {} : { callId }),
            ...(streamId === undefined ? {} : { streamId }),
          },
        ];
      }
      case 'MEDIA_MARK_PROCESSED': {
        const id = c.params['correlation_id'] ?? c.args[0];
        if (id === undefined || id === '' || id.length > MAX_NAME_CHARS * 3) {
          return error('MEDIA_MARK_PROCESSED without a correlation id');
        }
        return [{ kind: 'mark', name: json ? id : decodeId(id) }];
      }
      case 'DTMF_END': {
        const digit = c.params['digit'] ?? c.args[0] ?? '';
        return /^[0-9*#A-Da-d]$/.test(digit)
          ? [{ kind: 'dtmf', digit }]
          : error(`DTMF_END with an invalid digit ${quote(digit)}`);
      }
      case 'MEDIA_XOFF':
      case 'MEDIA_XON':
      case 'STATUS':
      case 'QUEUE_DRAINED':
      case 'MEDIA_BUFFERING_COMPLETED':
        return ignored(c.name);
      case 'ERROR':
        return [
          {
            kind: 'error',
            reason: `Asterisk error ${quote(c.params['error_text'] ?? c.args.join(' '))}`,
            reported: true,
          },
        ];
      default:
        return error(`unknown chan_websocket event ${quote(c.name)}`);
    }
  }

  #command(name: string, id?: string): string {
    if (this.#control === 'json') {
      return JSON.stringify(
        id === undefined ? { command: name } : { command: name, correlation_id: id },
      );
    }
    return id === undefined ? name : `${name} ${encodeURIComponent(id)}`;
  }

  media(payload: Buffer): WireMessage[] {
    return this.#chunker.push(payload);
  }

  flush(): WireMessage[] {
    return this.#chunker.flush();
  }

  mark(name: string): WireMessage[] | undefined {
    return [...this.flush(), this.#command('MARK_MEDIA', name)];
  }

  clear(): WireMessage[] {
    this.#chunker.reset();
    return [this.#command('FLUSH_MEDIA')];
  }

  hangup(): WireMessage[] | undefined {
    return [this.#command('HANGUP')];
  }
}
