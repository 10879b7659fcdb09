/**
 * Asterisk AudioSocket: plain TCP, Asterisk connects out via `AudioSocket(uuid,host:port)`.
 * Each message is 1 B type, 2 B big-endian length, then the payload:
 * 0x00 hang-up, 0x01 UUID (16 B), 0x03 DTMF (1 ASCII byte), 0x10 slin16 LE 8 kHz audio
 * (320 B per 20 ms), 0xff error. There is no clear or mark message.
 * Newer Asterisk adds audio types for higher rates whose codes differ between doc
 * versions (current docs: 0x11 = 12 kHz … 0x16 = 48 kHz; docs PR #158 numbered 16 kHz
 * as 0x11), so only 0x10 is enabled unless `audioKinds` is given.
 * `parse` takes the TCP stream in arbitrary pieces (partial reads) and returns the events
 * of every message completed by those bytes.
 * Source: docs.asterisk.org/Configuration/Channel-Drivers/AudioSocket.
 */
import { Chunker, exactFrameRule, makeFormat } from './chunker.js';
import type {
  CarrierCapabilities,
  CarrierMediaFormat,
  CarrierSerializer,
  InboundEvent,
  WireMessage,
} from './types.js';

export const AUDIOSOCKET_KIND = {
  hangup: 0x00,
  uuid: 0x01,
  dtmf: 0x03,
  audio: 0x10,
  error: 0xff,
} as const;

/** Audio types of the current Asterisk docs. Check them against the deployed version. */
export const AUDIOSOCKET_AUDIO_KINDS_CURRENT_DOCS: Readonly<Record<number, number>> = {
  0x10: 8000,
  0x11: 12000,
  0x12: 16000,
  0x13: 24000,
  0x14: 32000,
  0x15: 44100,
  0x16: 48000,
};

export interface AudioSocketOptions {
  /** Audio type → sample rate. Default `{ 0x10: 8000 }`. */
  audioKinds?: Readonly<Record<number, number>>;
}

const HEADER = 3;
const MAX_PAYLOAD = 0xffff;

function audioFormat(rate: number): CarrierMediaFormat {
  return makeFormat('pcm16', rate, exactFrameRule('pcm16', rate));
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Encode one AudioSocket message. */
export function audioSocketFrame(kind: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) {
    throw new RangeError(`AudioSocket payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  }
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt8(kind & 0xff, 0);
  out.writeUInt16BE(payload.length, 1);
  payload.copy(out, HEADER);
  return out;
}

const CAPABILITIES: CarrierCapabilities = { marks: false, clear: false, hangup: true, dtmf: true };

export class AudioSocketSerializer implements CarrierSerializer {
  readonly name = 'audiosocket' as const;
  readonly capabilities = CAPABILITIES;
  readonly #kinds: ReadonlyMap<number, number>;
  #format: CarrierMediaFormat;
  #outKind: number = AUDIOSOCKET_KIND.audio;
  #pending: Buffer = Buffer.alloc(0);
  #started = false;
  readonly #chunker: Chunker;

  constructor(opts: AudioSocketOptions = {}) {
    const kinds = new Map<number, number>();
    for (const [k, rate] of Object.entries(opts.audioKinds ?? { 0x10: 8000 })) {
      const kind = Number(k);
      if (kind >= 0x10 && kind <= 0xfe && Number.isInteger(rate) && rate >= 8000) {
        kinds.set(kind, rate);
      }
    }
    this.#kinds = kinds;
    this.#format = audioFormat(8000);
    this.#chunker = new Chunker(this.#format.chunk, 0);
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  /** Bytes of an incomplete message held between reads. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (!isBinary || typeof message === 'string') {
      return [{ kind: 'error', reason: 'AudioSocket is a binary TCP stream' }];
    }
    let buf = this.#pending.length === 0 ? message : Buffer.concat([this.#pending, message]);
    const events: InboundEvent[] = [];
    while (buf.length >= HEADER) {
      const len = buf.readUInt16BE(1);
      if (buf.length < HEADER + len) {
        break;
      }
      const kind = buf.readUInt8(0);
      // Audio payloads are views: copy only what is left pending below.
      events.push(this.#message(kind, buf.subarray(HEADER, HEADER + len)));
      buf = buf.subarray(HEADER + len);
    }
    this.#pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
    return events;
  }

  #message(kind: number, payload: Buffer): InboundEvent {
    switch (kind) {
      case AUDIOSOCKET_KIND.hangup:
        return { kind: 'stop', reason: 'hangup' };
      case AUDIOSOCKET_KIND.uuid:
        if (payload.length !== 16) {
          return { kind: 'error', reason: `UUID message of ${payload.length} bytes, expected 16` };
        }
        this.#started = true;
        return {
          kind: 'start',
          callId: formatUuid(payload),
          format: this.#format,
          customParameters: {},
        };
      case AUDIOSOCKET_KIND.dtmf: {
        if (!this.#started) {
          return { kind: 'error', reason: 'AudioSocket DTMF before the UUID message', fatal: true };
        }
        const digit = payload.length === 1 ? String.fromCharCode(payload[0] ?? 0) : '';
        return /^[0-9*#A-Da-d]$/.test(digit)
          ? { kind: 'dtmf', digit }
          : { kind: 'error', reason: 'DTMF message is not one DTMF character' };
      }
      case AUDIOSOCKET_KIND.error:
        // Asterisk reports an error on its side of the call: the call is over.
        return {
          kind: 'error',
          reason: `AudioSocket error message${payload.length > 0 ? ` code 0x${payload.toString('hex', 0, 4)}` : ''}`,
          reported: true,
          fatal: true,
        };
      default: {
        if (!this.#started) {
          // The UUID message comes first; anything else is not an AudioSocket peer.
          return {
            kind: 'error',
            reason: 'AudioSocket audio before the UUID message',
            fatal: true,
          };
        }
        const rate = this.#kinds.get(kind);
        if (rate === undefined) {
          return {
            kind: 'error',
            reason: `unknown AudioSocket type 0x${kind.toString(16).padStart(2, '0')}`,
          };
        }
        if (payload.length % 2 !== 0) {
          return { kind: 'error', reason: `odd-length slin16 payload (${payload.length} bytes)` };
        }
        if (rate !== this.#format.sampleRateHz) {
          this.#format = audioFormat(rate);
          this.#outKind = kind;
          this.#chunker.setRule(this.#format.chunk, 0);
        }
        return { kind: 'media', payload };
      }
    }
  }

  /** Whether a UUID message was seen. */
  get started(): boolean {
    return this.#started;
  }

  media(payload: Buffer): WireMessage[] {
    return this.#chunker.push(payload).map((c) => audioSocketFrame(this.#outKind, c));
  }

  flush(): WireMessage[] {
    return this.#chunker.flush().map((c) => audioSocketFrame(this.#outKind, c));
  }

  mark(): WireMessage[] | undefined {
    return undefined;
  }

  /** No clear message: held audio is dropped; what Asterisk has already got will play. */
  clear(): WireMessage[] {
    this.#chunker.reset();
    return [];
  }

  hangup(): WireMessage[] | undefined {
    return [audioSocketFrame(AUDIOSOCKET_KIND.hangup)];
  }
}
