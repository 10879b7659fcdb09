/**
 * TextToSpeech.Synthesize bridged to any OpenAI-compatible speech endpoint
 * (`POST {baseUrl}/audio/speech`, OpenAI, Kokoro-FastAPI, speaches): one
 * request per TextChunk (the relay already sends phrases), in order, with
 * `response_format: pcm` (headerless 24 kHz s16le), the body streamed and
 * resampled to the call's rate as it arrives. The API reports no timing, so
 * alignment is per phrase: a phrase's last audio piece is held back until its
 * response ended and then carries the span to the phrase end; earlier pieces
 * claim nothing new. Heard text is therefore exact at phrase granularity
 * (never ahead of the audio). Cancel or the end of the call aborts the
 * request; HTTP errors map to gRPC statuses with the provider's message.
 */
import { status as GrpcStatus, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { SynthesizeRequest__Output } from '../../generated/voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { Resampler } from '../../media/resample/index.js';
import { grpcCodeForHttp, providerMessage, UpstreamError } from '../openai/upstream.js';
import { EngineCall } from '../shared/engine-call.js';
import { asUpstreamError } from '../speech-bridge/provider.js';
import type { OpenAiSpeechEngine } from './engine.js';

type TtsCall = EngineCall<SynthesizeRequest__Output, SynthesizeResponse>;
const PCM_RATE_HZ = 24000;

export class OpenAiSpeechSession {
  readonly #call: TtsCall;
  readonly #engine: OpenAiSpeechEngine;
  #requestId = '';
  #turnId = '';
  #rateHz = 0;
  #body: Record<string, unknown> = {};
  #key: string | undefined;
  #text = '';
  #work: Promise<void> = Promise.resolve();
  #seq = 0;
  #spanEnd = 0;
  #samples = 0;
  #firstAudioTs = 0;
  #configured = false;
  #ended = false;

  constructor(call: TtsCall, engine: OpenAiSpeechEngine) {
    this.#call = call;
    this.#engine = engine;
  }

  onRequest(req: SynthesizeRequest__Output): void {
    if (this.#call.closed) {
      return;
    }
    if (!this.#configured) {
      this.#configure(req);
      return;
    }
    if (req.kind === 'text' && req.text != null && req.text.text !== '') {
      const start = this.#text.length;
      this.#text += req.text.text;
      const phrase = { text: req.text.text, end: this.#text.length, start };
      this.#work = this.#work.then(() => this.#speak(phrase.text, phrase.end));
    } else if (req.kind === 'flush') {
      const turnId = req.flush?.turnId ?? this.#turnId;
      this.#work = this.#work.then(() => {
        this.#send({ flushDone: { turnId } });
      });
    } else if (req.kind === 'cancel') {
      this.#call.cancelByMessage(req.cancel?.reason ?? '');
    } else if (req.kind === 'config') {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'config may only be sent once, first');
    }
  }

  onHalfClose(): void {
    if (this.#call.closed || this.#ended) {
      return;
    }
    if (!this.#configured) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    this.#ended = true;
    this.#work = this.#work.then(() => {
      this.#send({ done: { totalAudioMs: (this.#samples / this.#rateHz) * 1000 } });
      this.#call.finish();
    });
  }

  #configure(req: SynthesizeRequest__Output): void {
    this.#configured = true;
    this.#requestId = req.requestId;
    this.#turnId = req.turnId;
    this.#call.identify(req.requestId);
    const c = req.config;
    if (req.kind !== 'config' || c == null) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'the first request must carry the config');
      return;
    }
    try {
      if (c.encoding !== 'LINEAR16' || c.sampleRateHz < 8000 || c.sampleRateHz > 48000) {
        throw new UpstreamError(
          GrpcStatus.INVALID_ARGUMENT,
          `unsupported output ${c.encoding} at ${c.sampleRateHz} Hz (LINEAR16 at 8000..48000)`,
        );
      }
      const e = this.#engine;
      const opts = e.callOptions(c.options);
      this.#key = e.apiKey(e.keyEnvOf(opts));
      this.#rateHz = c.sampleRateHz;
      this.#body = {
        model: opts.get('model') ?? e.defaultModel,
        voice: c.voice === '' ? e.defaultVoice : c.voice,
        response_format: 'pcm',
        ...(c.speakingRate > 0 && Math.abs(c.speakingRate - 1) > 1e-3
          ? { speed: Math.min(4, Math.max(0.25, Number(c.speakingRate.toFixed(3)))) }
          : {}),
        ...(opts.has('instructions') ? { instructions: opts.get('instructions') } : {}),
      };
    } catch (err) {
      this.#fail(asUpstreamError(err, 'invalid config'));
    }
  }

  async #speak(input: string, phraseEnd: number): Promise<void> {
    if (this.#call.closed) {
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#key !== undefined) {
      headers['authorization'] = `Bearer ${this.#key}`;
    }
    const resampler =
      this.#rateHz === PCM_RATE_HZ ? undefined : new Resampler(PCM_RATE_HZ, this.#rateHz);
    let held: Buffer | undefined;
    let odd: Buffer | undefined;
    try {
      this.#engine.monitor.stats.upstreamRequests++;
      const res = await fetch(`${this.#engine.options.baseUrl}/audio/speech`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ...this.#body, input }),
        signal: AbortSignal.any([
          this.#call.signal,
          AbortSignal.timeout(this.#engine.options.connectTimeoutMs),
        ]),
      });
      if (!res.ok || res.body === null) {
        const text = await res.text().catch(() => '');
        throw new UpstreamError(
          grpcCodeForHttp(res.status),
          `upstream HTTP ${res.status}: ${providerMessage(text)}`,
        );
      }
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        let pcm = Buffer.from(chunk);
        if (odd !== undefined) {
          pcm = Buffer.concat([odd, pcm]);
          odd = undefined;
        }
        if (pcm.length % 2 === 1) {
          odd = pcm.subarray(pcm.length - 1);
          pcm = pcm.subarray(0, pcm.length - 1);
        }
        const out = resampler === undefined ? pcm : resampler.process(pcm);
        if (held !== undefined && held.length > 0) {
          this.#audio(held, this.#spanEnd);
        }
        held = out;
      }
      const tail = resampler?.flush() ?? Buffer.alloc(0);
      this.#audio(Buffer.concat([held ?? Buffer.alloc(0), tail]), phraseEnd);
    } catch (err) {
      if (!this.#call.closed) {
        this.#fail(
          err instanceof UpstreamError
            ? err
            : asUpstreamError(err, `cannot reach ${this.#engine.options.baseUrl}`),
        );
      }
    }
  }

  #audio(pcm: Buffer, spanEnd: number): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#firstAudioTs === 0) {
      this.#firstAudioTs = nowMs();
    }
    const start = this.#spanEnd;
    this.#spanEnd = Math.max(this.#spanEnd, spanEnd);
    const samples = pcm.length / 2;
    this.#samples += samples;
    this.#send({
      firstAudioServerTsMs: this.#firstAudioTs,
      audio: {
        audio: pcm,
        seq: this.#seq++,
        span: { start, end: this.#spanEnd },
        durationMs: (samples / this.#rateHz) * 1000,
      },
    });
  }

  #fail(err: UpstreamError): void {
    this.#call.fail(err.code, this.#engine.redact(err.message, this.#key));
  }

  #send(response: Omit<SynthesizeResponse, 'requestId' | 'turnId' | 'serverTsMs'>): void {
    this.#call.send({
      ...response,
      requestId: this.#requestId,
      turnId: this.#turnId,
      serverTsMs: nowMs(),
    });
  }
}

export function openAiSpeechHandler(
  engine: OpenAiSpeechEngine,
): handleBidiStreamingCall<SynthesizeRequest__Output, SynthesizeResponse> {
  return (call) => {
    const session = new OpenAiSpeechSession(
      new EngineCall('Synthesize', call, engine.monitor),
      engine,
    );
    call.on('data', (req: SynthesizeRequest__Output) => session.onRequest(req));
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
}
