/**
 * TextToSpeech.Synthesize with espeak-ng: text is cut into phrases as it
 * arrives (phrases.ts); each phrase is synthesised by its own espeak-ng
 * process, one at a time in order, and streamed out in chunkMs pieces as the
 * process produces it.
 *
 * Alignment is exact at phrase granularity: every chunk of a phrase carries
 * an empty span at the phrase start, except the phrase's last chunk, whose
 * span ends at the phrase end (spans tile the text). espeak-ng's CLI reports
 * no word timing, so nothing finer is claimed. A phrase without any audio
 * gets an empty audio chunk carrying its span.
 */
import { status as GrpcStatus, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { SynthesisConfig__Output } from '../../generated/voicerelay/v1/SynthesisConfig.js';
import type { SynthesizeRequest__Output } from '../../generated/voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { EngineCall } from '../shared/engine-call.js';
import type { EspeakEngine } from './engine.js';
import { EspeakPhraseProcess, type EspeakVoiceArgs } from './espeak-process.js';
import { PhraseSplitter, type Phrase } from './phrases.js';

type TtsCall = EngineCall<SynthesizeRequest__Output, SynthesizeResponse>;
type Item =
  { kind: 'phrase'; phrase: Phrase } | { kind: 'flush'; turnId: string } | { kind: 'done' };

const BASE_WORDS_PER_MINUTE = 175;
const VOICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_+\-./]{0,63}$/;

interface Settings {
  voice: EspeakVoiceArgs;
  rateHz: number;
  chunkBytes: number;
}

export class EspeakTtsSession {
  readonly #call: TtsCall;
  readonly #engine: EspeakEngine;
  readonly #splitter: PhraseSplitter;
  #settings: Settings | undefined;
  #requestId = '';
  #turnId = '';
  #queue: Item[] = [];
  #draining = false;
  #current: EspeakPhraseProcess | undefined;
  #seq = 0;
  #spanEnd = 0;
  #totalSamples = 0;
  #firstAudioServerTsMs = 0;

  constructor(call: TtsCall, engine: EspeakEngine) {
    this.#call = call;
    this.#engine = engine;
    const o = engine.options;
    this.#splitter = new PhraseSplitter({ minChars: o.minPhraseChars, maxChars: o.maxPhraseChars });
    call.onClose(() => {
      this.#queue = [];
      this.#current?.kill();
    });
  }

  onRequest(req: SynthesizeRequest__Output): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#settings === undefined) {
      this.#configure(req);
      return;
    }
    switch (req.kind) {
      case 'text': {
        const text = req.text?.text ?? '';
        if (this.#splitter.length + text.length > this.#engine.options.maxTextChars) {
          this.#call.fail(
            GrpcStatus.RESOURCE_EXHAUSTED,
            `text exceeds ${this.#engine.options.maxTextChars} UTF-16 code units per stream`,
          );
          return;
        }
        for (const phrase of this.#splitter.push(text)) {
          this.#enqueue({ kind: 'phrase', phrase });
        }
        return;
      }
      case 'flush':
        this.#completionPoint({ kind: 'flush', turnId: req.flush?.turnId ?? '' });
        return;
      case 'cancel':
        this.#call.cancelByMessage(req.cancel?.reason ?? '');
        return;
      case 'config':
        this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'config may only be sent once, first');
        return;
      default:
        return;
    }
  }

  /** Client half-close: synthesise the rest, then done{total_audio_ms} and OK. */
  onHalfClose(): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#settings === undefined) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    this.#completionPoint({ kind: 'done' });
  }

  #configure(req: SynthesizeRequest__Output): void {
    this.#requestId = req.requestId;
    this.#turnId = req.turnId;
    this.#call.identify(req.requestId);
    if (req.kind !== 'config' || req.config == null) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'the first request must carry the config');
      return;
    }
    try {
      this.#settings = this.#settingsOf(req.config);
    } catch (err) {
      this.#call.fail(
        GrpcStatus.INVALID_ARGUMENT,
        err instanceof Error ? err.message : String(err),
      );
    }
  }

  #settingsOf(config: SynthesisConfig__Output): Settings {
    if (config.encoding !== 'LINEAR16') {
      throw new Error(`unsupported encoding ${config.encoding}: espeak-ng produces LINEAR16`);
    }
    const rateHz = config.sampleRateHz;
    if (!Number.isInteger(rateHz) || rateHz < 8000 || rateHz > 48000) {
      throw new Error(`unsupported sample_rate_hz ${rateHz} (8000..48000)`);
    }
    const speed = config.speakingRate === 0 ? 1 : config.speakingRate;
    if (!(speed >= 0.25 && speed <= 4)) {
      throw new Error(`unsupported speaking_rate ${speed} (0.25..4)`);
    }
    const voice =
      config.voice !== ''
        ? config.voice
        : config.language !== ''
          ? config.language.toLowerCase()
          : this.#engine.options.defaultVoice;
    if (!VOICE_NAME.test(voice) || voice.includes('..')) {
      throw new Error(`invalid voice name ${JSON.stringify(voice)}`);
    }
    const args: EspeakVoiceArgs = {
      binary: this.#engine.options.binary,
      voice,
      wordsPerMinute: Math.min(450, Math.max(80, Math.round(BASE_WORDS_PER_MINUTE * speed))),
    };
    const pitch = intOption(config.options, 'pitch', 0, 99);
    const amplitude = intOption(config.options, 'amplitude', 0, 200);
    const wordGap = intOption(config.options, 'word_gap', 0, 100);
    if (pitch !== undefined) {
      args.pitch = pitch;
    }
    if (amplitude !== undefined) {
      args.amplitude = amplitude;
    }
    if (wordGap !== undefined) {
      args.wordGap = wordGap;
    }
    const chunkSamples = Math.max(1, Math.round((this.#engine.options.chunkMs * rateHz) / 1000));
    return { voice: args, rateHz, chunkBytes: chunkSamples * 2 };
  }

  #completionPoint(item: Item): void {
    const rest = this.#splitter.end();
    if (rest !== undefined) {
      this.#enqueue({ kind: 'phrase', phrase: rest });
    }
    this.#enqueue(item);
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#draining) {
      return;
    }
    this.#draining = true;
    try {
      for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift()) {
        if (this.#call.closed) {
          return;
        }
        if (item.kind === 'phrase') {
          await this.#synthesize(item.phrase);
        } else if (item.kind === 'flush') {
          this.#send({ turnId: item.turnId, flushDone: { turnId: item.turnId } });
        } else {
          const settings = this.#settings;
          const rate = settings?.rateHz ?? 1;
          this.#send({ done: { totalAudioMs: (this.#totalSamples * 1000) / rate } });
          this.#call.finish();
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #synthesize(phrase: Phrase): Promise<void> {
    const settings = this.#settings;
    if (settings === undefined) {
      return;
    }
    let pcm: Buffer = Buffer.alloc(0);
    let paused = false;
    const proc: EspeakPhraseProcess = new EspeakPhraseProcess(
      settings.voice,
      phrase.text,
      settings.rateHz,
      (audio) => {
        pcm = pcm.length === 0 ? audio : Buffer.concat([pcm, audio]);
        let ok = true;
        while (pcm.length > settings.chunkBytes && !this.#call.closed) {
          ok = this.#sendAudio(pcm.subarray(0, settings.chunkBytes), this.#spanEnd) && ok;
          pcm = pcm.subarray(settings.chunkBytes);
        }
        if (!ok && !paused) {
          paused = true;
          proc.pause();
          void this.#call.drained().then(() => {
            paused = false;
            proc.resume();
          });
        }
      },
    );
    this.#current = proc;
    const info =
      proc.pid === undefined
        ? undefined
        : this.#engine.processStarted({
            pid: proc.pid,
            requestId: this.#requestId,
            start: phrase.start,
            end: phrase.end,
          });
    const result = await proc.done;
    this.#current = undefined;
    if (info !== undefined) {
      this.#engine.processExited(info, !result.ok && result.killed, result.ok);
    }
    if (this.#call.closed) {
      return;
    }
    if (!result.ok) {
      this.#call.fail(
        result.voiceError ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL,
        result.message,
      );
      return;
    }
    this.#sendAudio(pcm, phrase.end);
  }

  /** One AudioOut; its span runs from the previous chunk's end to `end`. */
  #sendAudio(audio: Buffer, end: number): boolean {
    const settings = this.#settings;
    if (settings === undefined) {
      return true;
    }
    if (this.#seq === 0) {
      this.#firstAudioServerTsMs = nowMs();
    }
    const start = this.#spanEnd;
    this.#spanEnd = end;
    const samples = audio.length >> 1;
    this.#totalSamples += samples;
    return this.#send({
      audio: {
        audio,
        seq: this.#seq++,
        span: { start, end },
        durationMs: (samples * 1000) / settings.rateHz,
      },
    });
  }

  #send(
    response: Omit<SynthesizeResponse, 'requestId' | 'serverTsMs' | 'firstAudioServerTsMs'>,
  ): boolean {
    return this.#call.send({
      turnId: this.#turnId,
      ...response,
      requestId: this.#requestId,
      serverTsMs: nowMs(),
      firstAudioServerTsMs: this.#firstAudioServerTsMs,
    });
  }
}

function intOption(
  options: Record<string, string>,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const raw = options[key];
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`option ${key} must be an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The Synthesize handler of an espeak-ng engine (for embedding in any gRPC server). */
export function espeakSynthesizeHandler(
  engine: EspeakEngine,
): handleBidiStreamingCall<SynthesizeRequest__Output, SynthesizeResponse> {
  return (call) => {
    const session = new EspeakTtsSession(
      new EngineCall('Synthesize', call, engine.monitor),
      engine,
    );
    call.on('data', (req: SynthesizeRequest__Output) => session.onRequest(req));
    // A client cancellation also ends the request stream, just before grpc-js
    // reports 'cancelled': look at the half-close only once that had its chance.
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
}
