/**
 * FreeSWITCH `mod_audio_stream`, open-source playback mode. FreeSWITCH is the client:
 * `uuid_audio_stream <uuid> start <wss> <mono|mixed|stereo> <8k|16k> [metadata]`. The
 * optional metadata is sent first as one text frame; then binary L16 frames (20 ms by
 * default, `STREAM_BUFFER_SIZE`). Reply audio is JSON `streamAudio` with base64 raw L16,
 * which the module writes to a file and announces as `mod_audio_stream::play`. The OSS
 * version has no mark, clear or hang-up message; playout must be estimated.
 * Source: github.com/amigniter/mod_audio_stream README and releases.
 */
import { Chunker, makeFormat } from './chunker.js';
import type {
  CarrierCapabilities,
  CarrierMediaFormat,
  CarrierSerializer,
  InboundEvent,
  WireMessage,
} from './types.js';
import { error, ignored, parseObjectText, stringRecord, textOf } from './wire-util.js';

export interface FreeswitchOptions {
  /** The `<8k|16k>` argument of `uuid_audio_stream … start`. Default 8000. */
  sampleRateHz?: 8000 | 16000;
  /** The `<mono|mixed|stereo>` argument. Default mono. */
  mixType?: 'mono' | 'mixed' | 'stereo';
  /**
   * Least audio per `streamAudio` message, in ms. Every message becomes one file played
   * by the FreeSWITCH side, so 20 ms messages would be wasteful; default 200 ms.
   */
  minChunkMs?: number;
}

/** Longest reply audio per `streamAudio` message. */
const MAX_CHUNK_MS = 10_000;

export class FreeswitchSerializer implements CarrierSerializer {
  readonly name = 'freeswitch' as const;
  readonly capabilities: CarrierCapabilities = {
    marks: false,
    clear: false,
    hangup: false,
    dtmf: false,
  };
  readonly #format: CarrierMediaFormat;
  readonly #output: CarrierMediaFormat;
  readonly #chunker: Chunker;
  #started = false;

  constructor(opts: FreeswitchOptions = {}) {
    const rate = opts.sampleRateHz ?? 8000;
    const channels = opts.mixType === 'stereo' ? 2 : 1;
    const frame = (rate / 50) * 2;
    const minMs = Math.min(
      MAX_CHUNK_MS,
      Math.max(20, Math.round((opts.minChunkMs ?? 200) / 20) * 20),
    );
    const chunk = {
      alignBytes: 2,
      minBytes: (frame * minMs) / 20,
      maxBytes: (frame * MAX_CHUNK_MS) / 20,
    };
    this.#format = makeFormat('pcm16', rate, chunk, channels);
    this.#output = makeFormat('pcm16', rate, chunk);
    this.#chunker = new Chunker(chunk, 0, false);
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#output;
  }

  #startEvent(params: Record<string, string>): InboundEvent {
    this.#started = true;
    return { kind: 'start', format: this.#format, customParameters: params };
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      if (typeof message === 'string') {
        return error('binary frame given as a string');
      }
      // Any byte count: a sample split across frames is joined by the inbound audio stage.
      const media: InboundEvent = { kind: 'media', payload: message };
      // Metadata is optional: without it the first audio frame starts the stream.
      return this.#started ? [media] : [this.#startEvent({}), media];
    }
    const text = textOf(message);
    if (!text.ok) {
      return error(text.error);
    }
    if (this.#started) {
      // `uuid_audio_stream … send_text` / `stop <metadata>`: application data.
      return ignored('text frame');
    }
    const obj = parseObjectText(text.value);
    const params = obj.ok ? stringRecord(obj.value) : { metadata: text.value };
    return [this.#startEvent(params)];
  }

  #streamAudio(chunks: Buffer[]): WireMessage[] {
    const prefix = `{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":${this.#output.sampleRateHz},"audioData":"`;
    return chunks.map((c) => `${prefix}${c.toString('base64')}"}}`);
  }

  media(payload: Buffer): WireMessage[] {
    return this.#streamAudio(this.#chunker.push(payload));
  }

  flush(): WireMessage[] {
    return this.#streamAudio(this.#chunker.flush());
  }

  mark(): WireMessage[] | undefined {
    return undefined;
  }

  /**
   * No in-band clear in the OSS module: held audio is dropped and nothing is sent
   * (stop playback from the FreeSWITCH side, e.g. `uuid_break`).
   */
  clear(): WireMessage[] {
    this.#chunker.reset();
    return [];
  }

  hangup(): WireMessage[] | undefined {
    return undefined;
  }
}
