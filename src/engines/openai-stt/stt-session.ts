/**
 * SpeechToText.Recognize bridged to any OpenAI-compatible transcription
 * endpoint (`POST {baseUrl}/audio/transcriptions`: OpenAI, speaches and other
 * faster-whisper servers). That is a file API, so the bridge cuts the stream
 * into utterances itself with the relay's energy VAD (speech after
 * `endpointing.minSpeechMs`, ended by `endpointing.silenceMs` of silence,
 * forced at `maxUtteranceMs`, 30 s by default) and posts each one as a WAV
 * file. With `stream=true` (the default) the server's `transcript.text.delta`
 * events become interim transcripts and `transcript.text.done` the final one
 * (rebuilt from the deltas when a server sends it empty); a plain JSON
 * (`{text}`) or text answer becomes the final directly.
 *
 * Events: SPEECH_STARTED when the VAD hears speech, SPEECH_ENDED when the
 * segment is cut, END_OF_UTTERANCE and the final once the transcription came.
 * Flush cuts the current segment and answers FlushDone after its final;
 * half-close does the same and ends OK. Segments are transcribed one at a time
 * in order. Cancel or the end of the call aborts the request in flight; HTTP
 * errors and in-stream error events map to gRPC statuses with the provider's
 * message.
 */
import { status as GrpcStatus, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { AudioChunk__Output } from '../../generated/voicerelay/v1/AudioChunk.js';
import type { RecognitionConfig__Output } from '../../generated/voicerelay/v1/RecognitionConfig.js';
import type { RecognizeRequest__Output } from '../../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { EnergyVad } from '../../media/vad/energy-vad.js';
import { encodeWav } from '../../media/wav.js';
import { UpstreamError } from '../openai/upstream.js';
import { EngineCall } from '../shared/engine-call.js';
import { asUpstreamError, boolOption, numberOpt } from '../speech-bridge/provider.js';
import type { OpenAiSttEngine } from './engine.js';
import { requestTranscription } from './transcription.js';

type SttCall = EngineCall<RecognizeRequest__Output, RecognizeResponse>;

/** Audio kept before the VAD's speech start, so the first word is not clipped. */
const PRE_ROLL_MS = 300;
/** Longest segment when the pipeline sets no `maxUtteranceMs`. */
const DEFAULT_MAX_SEGMENT_MS = 30_000;
/** Segments waiting for transcription beyond this are dropped (and counted). */
const MAX_PENDING_SEGMENTS = 8;
/** Options the bridge reads itself (the rest go to the server as form fields). */
const OWN_OPTIONS = new Set(['apiKeyEnv', 'model', 'language', 'stream', 'thresholdDbfs']);

interface Chunk {
  pcm: Buffer;
  tsMs: number;
  durationMs: number;
}

interface Segment {
  utterance: number;
  chunks: Chunk[];
  bytes: number;
  durationMs: number;
  startTsMs: number;
  endTsMs: number;
}

export class OpenAiSttSession {
  readonly #call: SttCall;
  readonly #engine: OpenAiSttEngine;
  #configured = false;
  #requestId = '';
  #rateHz = 16000;
  #interim = true;
  #stream = true;
  #key: string | undefined;
  #fields: [string, string][] = [];
  #vadOptions = { thresholdDbfs: -40, minSpeechMs: 60, minSilenceMs: 500 };
  #vad = new EnergyVad();
  #maxSegmentMs = DEFAULT_MAX_SEGMENT_MS;
  #pre: Chunk[] = [];
  #preMs = 0;
  #segment: Segment | undefined;
  #utterance = 0;
  #pending = 0;
  #work: Promise<void> = Promise.resolve();
  #ended = false;

  constructor(call: SttCall, engine: OpenAiSttEngine) {
    this.#call = call;
    this.#engine = engine;
    call.onClose(() => {
      this.#pre = [];
      this.#segment = undefined;
    });
  }

  onRequest(req: RecognizeRequest__Output): void {
    if (this.#call.closed) {
      return;
    }
    if (!this.#configured) {
      this.#configure(req);
      return;
    }
    switch (req.kind) {
      case 'audio':
        if (req.audio != null && !this.#ended) {
          this.#onAudio(req.audio);
        }
        return;
      case 'flush': {
        const turnId = req.flush?.turnId ?? '';
        this.#cut(true);
        this.#work = this.#work.then(() => this.#send({ turnId, flushDone: { turnId } }));
        return;
      }
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

  onHalfClose(): void {
    if (this.#call.closed || this.#ended) {
      return;
    }
    if (!this.#configured) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    this.#ended = true;
    this.#cut(true);
    this.#work = this.#work.then(() => this.#call.finish());
  }

  #configure(req: RecognizeRequest__Output): void {
    this.#configured = true;
    this.#requestId = req.requestId;
    this.#call.identify(req.requestId);
    if (req.kind !== 'config' || req.config == null) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'the first request must carry the config');
      return;
    }
    try {
      this.#apply(req.config);
    } catch (err) {
      const e = asUpstreamError(err, 'invalid config');
      this.#call.fail(e.code, this.#engine.redact(e.message, this.#key));
      return;
    }
    this.#send({
      ready: {
        partialResults: this.#interim && this.#stream,
        speechEvents: true,
        grammar: false,
        sampleRatesHz: [8000, 16000, 24000, 48000],
        engine: 'openai-stt',
      },
    });
  }

  #apply(config: RecognitionConfig__Output): void {
    const e = this.#engine;
    const call = e.callOptions(config.options);
    this.#key = e.apiKey(e.keyEnvOf(call));
    if (config.encoding !== 'LINEAR16') {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `unsupported encoding ${config.encoding} (LINEAR16 only)`,
      );
    }
    const rate = config.sampleRateHz;
    if (!Number.isInteger(rate) || rate < 8000 || rate > 48000) {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `unsupported sample_rate_hz ${rate} (8000..48000)`,
      );
    }
    this.#rateHz = rate;
    this.#interim = config.interimResults;
    this.#stream = boolOption(call, 'stream', e.prefix) ?? true;
    const ep = config.endpointing;
    this.#vadOptions = {
      thresholdDbfs: numberOpt(call, 'thresholdDbfs', e.prefix, -90, 0) ?? -40,
      minSpeechMs: ep != null && ep.minSpeechMs > 0 ? ep.minSpeechMs : 60,
      minSilenceMs: ep != null && ep.silenceMs > 0 ? ep.silenceMs : 500,
    };
    this.#vad = new EnergyVad(this.#vadOptions);
    this.#maxSegmentMs =
      ep != null && ep.maxUtteranceMs > 0 ? ep.maxUtteranceMs : DEFAULT_MAX_SEGMENT_MS;
    // ISO-639-1 is what the API takes: en-US → en.
    const language = call.get('language') ?? config.language.split(/[-_]/)[0] ?? '';
    const fields: [string, string][] = [['model', call.get('model') ?? e.defaultModel]];
    if (language !== '') {
      fields.push(['language', language]);
    }
    if (this.#stream) {
      fields.push(['stream', 'true']);
    }
    for (const [k, v] of call) {
      if (OWN_OPTIONS.has(k)) {
        continue;
      }
      if (!/^[a-z_]{1,40}(\[\])?$/.test(k)) {
        throw new UpstreamError(
          GrpcStatus.INVALID_ARGUMENT,
          `option ${e.prefix}.${k} is not a transcription request field`,
        );
      }
      fields.push([k, v]);
    }
    this.#fields = fields;
  }

  #onAudio(chunk: AudioChunk__Output): void {
    const usable = chunk.audio.length - (chunk.audio.length % 2);
    if (usable <= 0) {
      return;
    }
    const pcm = usable === chunk.audio.length ? chunk.audio : chunk.audio.subarray(0, usable);
    const c: Chunk = {
      pcm,
      tsMs: chunk.captureTsMs,
      durationMs: (usable / 2 / this.#rateHz) * 1000,
    };
    const ev = this.#vad.push(pcm, c.tsMs, c.durationMs);
    const seg = this.#segment;
    if (seg !== undefined) {
      seg.chunks.push(c);
      seg.bytes += usable;
      seg.durationMs += c.durationMs;
      if (ev?.type === 'speech.stopped') {
        seg.endTsMs = ev.tsMs;
        this.#cut(false);
      } else if (seg.durationMs >= this.#maxSegmentMs) {
        this.#cut(true);
      }
      return;
    }
    this.#pre.push(c);
    this.#preMs += c.durationMs;
    while (this.#preMs > PRE_ROLL_MS + this.#vadOptions.minSpeechMs && this.#pre.length > 1) {
      this.#preMs -= this.#pre.shift()?.durationMs ?? 0;
    }
    if (ev?.type === 'speech.started') {
      const chunks = this.#pre;
      this.#pre = [];
      this.#preMs = 0;
      this.#segment = {
        utterance: ++this.#utterance,
        chunks,
        bytes: chunks.reduce((n, x) => n + x.pcm.length, 0),
        durationMs: chunks.reduce((n, x) => n + x.durationMs, 0),
        startTsMs: ev.tsMs,
        endTsMs: ev.tsMs,
      };
      this.#send({
        speechEvent: { type: 'SPEECH_STARTED', audioTsMs: ev.tsMs, utterance: this.#utterance },
      });
    }
  }

  /** End the current segment (if any) and queue its transcription. */
  #cut(forced: boolean): void {
    const seg = this.#segment;
    if (seg === undefined) {
      return;
    }
    this.#segment = undefined;
    if (forced) {
      seg.endTsMs = Math.max(seg.startTsMs, this.#vad.lastVoicedEndMs);
      // Speech that goes on starts a new segment once the VAD hears it again.
      this.#vad = new EnergyVad(this.#vadOptions);
    }
    this.#send({
      speechEvent: { type: 'SPEECH_ENDED', audioTsMs: seg.endTsMs, utterance: seg.utterance },
    });
    const stats = this.#engine.monitor.stats;
    if (this.#pending >= MAX_PENDING_SEGMENTS) {
      stats.droppedAudioBytes += seg.bytes;
      return;
    }
    stats.segments++;
    this.#pending++;
    const wav = encodeWav({
      sampleRateHz: this.#rateHz,
      channels: 1,
      data: Buffer.concat(seg.chunks.map((x) => x.pcm)),
    });
    seg.chunks = [];
    this.#work = this.#work.then(async () => {
      await this.#transcribe(seg, wav);
      this.#pending--;
    });
  }

  async #transcribe(seg: Segment, wav: Buffer): Promise<void> {
    if (this.#call.closed) {
      return;
    }
    const base = this.#engine.options.baseUrl;
    let firstResultTs = 0;
    try {
      this.#engine.monitor.stats.upstreamRequests++;
      const text = await requestTranscription({
        baseUrl: base,
        key: this.#key,
        fields: this.#fields,
        wav,
        fileName: `utterance-${seg.utterance}.wav`,
        signal: AbortSignal.any([
          this.#call.signal,
          AbortSignal.timeout(this.#engine.options.connectTimeoutMs),
        ]),
        onResult: (ts) => {
          firstResultTs ||= ts;
        },
        onDelta: (deltas) => {
          if (this.#interim && deltas.trim() !== '') {
            this.#transcript(seg, deltas.trim(), false, nowMs());
          }
        },
      });
      this.#final(seg, text.trim(), firstResultTs || nowMs());
    } catch (err) {
      if (!this.#call.closed) {
        const e = err instanceof UpstreamError ? err : asUpstreamError(err, `cannot reach ${base}`);
        this.#call.fail(e.code, this.#engine.redact(e.message, this.#key));
      }
    }
  }

  #final(seg: Segment, text: string, firstResultTs: number): void {
    if (this.#call.closed || text === '') {
      return;
    }
    this.#send({
      speechEvent: { type: 'END_OF_UTTERANCE', audioTsMs: seg.endTsMs, utterance: seg.utterance },
    });
    this.#transcript(seg, text, true, firstResultTs);
  }

  #transcript(seg: Segment, text: string, isFinal: boolean, firstResultTs: number): void {
    this.#send({
      transcript: {
        text,
        isFinal,
        stability: isFinal ? 1 : 0.5,
        confidence: 0,
        startTsMs: seg.startTsMs,
        endTsMs: seg.endTsMs,
        utterance: seg.utterance,
        firstResultServerTsMs: firstResultTs,
      },
    });
  }

  #send(response: Omit<RecognizeResponse, 'requestId' | 'serverTsMs'>): void {
    this.#call.send({ ...response, requestId: this.#requestId, serverTsMs: nowMs() });
  }
}

/** The Recognize handler of an OpenAI-compatible transcription bridge. */
export function openAiSttHandler(
  engine: OpenAiSttEngine,
): handleBidiStreamingCall<RecognizeRequest__Output, RecognizeResponse> {
  return (call) => {
    const session = new OpenAiSttSession(new EngineCall('Recognize', call, engine.monitor), engine);
    call.on('data', (req: RecognizeRequest__Output) => session.onRequest(req));
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
}
