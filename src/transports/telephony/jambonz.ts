/**
 * jambonz `listen` (WebSocket subprotocol `audio.jambonz.org`). The first frame is JSON
 * text with the call attributes (callSid, …) plus `sampleRate` and `mixType` and any
 * `metadata`; after that inbound audio is binary L16 LE (8 kHz default; 16, 24, 48 or
 * 64 kHz possible). Reply audio uses streaming bidirectional audio
 * (`bidirectionalAudio.streaming: true`): binary L16 frames at
 * `bidirectionalAudio.sampleRate`. `killAudio` stops playout, `disconnect` ends the
 * listen; DTMF arrives as `{"event":"dtmf",…}` with `passDtmf`. The sources used by the
 * spec cover no playback ack, so `mark()` is undefined (paced-clock fallback).
 * Sources: docs.jambonz.org/verbs/verbs/listen (the spec's source); jambonz listen
 * docs for `killAudio`/`disconnect`; Pipecat's jambonz serializer for the DTMF shape.
 */
import { z } from 'zod';
import { Chunker, frameRule, makeFormat } from './chunker.js';
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
  ignored,
  parseObject,
  quote,
  rateLike,
  shortString,
  stringRecord,
  uintLike,
  withSchema,
} from './wire-util.js';

export const JAMBONZ_SUBPROTOCOL = 'audio.jambonz.org';

export interface JambonzOptions {
  /** `bidirectionalAudio.sampleRate` of the listen verb; default: the inbound rate. */
  outputSampleRateHz?: number;
}

const RATES = new Set([8000, 16000, 24000, 32000, 48000, 64000]);

function jambonzFormat(rate: number, channels: number): CarrierMediaFormat {
  return makeFormat('pcm16', rate, frameRule('pcm16', rate, channels), channels);
}

const metadataSchema = z.object({
  callSid: shortString.optional(),
  call_sid: shortString.optional(),
  accountSid: shortString.optional(),
  sampleRate: rateLike.optional(),
  mixType: z.enum(['mono', 'stereo', 'mixed']).optional(),
});

const dtmfSchema = z.object({
  dtmf: dtmfDigit,
  duration: uintLike.optional(),
});

const CAPABILITIES: CarrierCapabilities = { marks: false, clear: true, hangup: true, dtmf: true };

export class JambonzSerializer implements CarrierSerializer {
  readonly name = 'jambonz' as const;
  readonly capabilities = CAPABILITIES;
  #format: CarrierMediaFormat | undefined;
  #output: CarrierMediaFormat | undefined;
  #started = false;
  readonly #outputRate: number | undefined;
  readonly #chunker = new Chunker(frameRule('pcm16', 8000), 0);

  constructor(opts: JambonzOptions = {}) {
    this.#outputRate = opts.outputSampleRateHz;
    if (this.#outputRate !== undefined) {
      this.#output = jambonzFormat(this.#outputRate, 1);
      this.#chunker.setRule(this.#output.chunk, 0);
    }
  }

  get format(): CarrierMediaFormat | undefined {
    return this.#format;
  }

  get outputFormat(): CarrierMediaFormat | undefined {
    return this.#output;
  }

  parse(message: string | Buffer, isBinary: boolean): InboundEvent[] {
    if (isBinary) {
      if (typeof message === 'string') {
        return error('binary frame given as a string');
      }
      if (!this.#started) {
        return error('audio before the metadata frame');
      }
      // Any byte count: a sample split across frames is joined by the inbound audio stage.
      return [{ kind: 'media', payload: message }];
    }
    const parsed = parseObject(message);
    if (!parsed.ok) {
      return error(parsed.error);
    }
    const obj = parsed.value;
    if (!this.#started) {
      return withSchema('metadata', metadataSchema, obj, (m) => this.#start(m, obj));
    }
    const event = obj['event'] ?? obj['type'];
    switch (event) {
      case 'dtmf':
        return withSchema('dtmf', dtmfSchema, obj, (m) => [
          { kind: 'dtmf', digit: m.dtmf, ...compact({ durationMs: m.duration }) },
        ]);
      case 'playDone':
        return ignored('playDone');
      default:
        return typeof event === 'string'
          ? error(`unknown jambonz message ${quote(event)}`)
          : error('text message after the metadata has no "event" or "type"');
    }
  }

  #start(m: z.infer<typeof metadataSchema>, obj: Record<string, unknown>): InboundEvent[] {
    const rate = m.sampleRate ?? 8000;
    if (!RATES.has(rate)) {
      return error(`unsupported jambonz sample rate ${rate}`);
    }
    const channels = m.mixType === 'stereo' ? 2 : 1;
    this.#started = true;
    this.#format = jambonzFormat(rate, channels);
    if (this.#outputRate === undefined) {
      this.#output = jambonzFormat(rate, 1);
      this.#chunker.setRule(this.#output.chunk, 0);
    }
    const params = stringRecord(obj);
    const meta = obj['metadata'];
    Object.assign(params, stringRecord(meta));
    return [
      {
        kind: 'start',
        format: this.#format,
        customParameters: params,
        ...compact({ callId: m.callSid ?? m.call_sid, accountId: m.accountSid }),
      },
    ];
  }

  media(payload: Buffer): WireMessage[] {
    return this.#chunker.push(payload);
  }

  flush(): WireMessage[] {
    return this.#chunker.flush();
  }

  mark(): WireMessage[] | undefined {
    return undefined;
  }

  clear(): WireMessage[] {
    this.#chunker.reset();
    return ['{"type":"killAudio"}'];
  }

  /** Ends the `listen` verb; the jambonz application decides what follows. */
  hangup(): WireMessage[] | undefined {
    return ['{"type":"disconnect"}'];
  }
}
