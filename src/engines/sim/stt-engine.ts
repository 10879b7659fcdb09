/**
 * Simulated SpeechToText.Recognize: energy-based speech detection, a
 * silence endpointer and deterministic transcripts (see stt-transcripts.ts).
 *
 * Speech: a chunk is voiced when it is not concealed and its RMS level is
 * ≥ energyThresholdDbfs. A voiced run of ≥ minSpeechMs starts utterance k:
 * SPEECH_STARTED with audio_ts_ms = capture_ts_ms of the run's first chunk.
 * When the unvoiced audio after the last voiced chunk adds up to
 * endpointSilenceMs (or the utterance spans max_utterance_ms), the endpoint is
 * decided on arrival of that chunk: SPEECH_ENDED with audio_ts_ms = capture
 * end of the last voiced chunk (its capture_ts_ms + its duration, "speech
 * end"), END_OF_UTTERANCE with audio_ts_ms = capture end of the deciding
 * chunk, then the final transcript finalDelayMs after that arrival.
 * Transcripts carry start_ts_ms = speech start and end_ts_ms = speech end.
 */
import { status as GrpcStatus, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import { rmsDbfs } from '../../media/pcm.js';
import type { AudioChunk__Output } from '../../generated/voicerelay/v1/AudioChunk.js';
import type { RecognitionConfig__Output } from '../../generated/voicerelay/v1/RecognitionConfig.js';
import type { RecognizeRequest__Output } from '../../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { audioReadCounter } from '../shared/audio-progress.js';
import type { EngineContext } from './engine-context.js';
import type { SttProfile } from './profiles.js';
import type { SimCall } from './sim-call.js';
import { parseTranscriptOption, TranscriptRule } from './stt-transcripts.js';

export const STT_SAMPLE_RATES_HZ = [8000, 16000, 24000, 48000];
const PARTIAL_STABILITY = 0.5;
const PARTIAL_CONFIDENCE = 0.6;
const FINAL_CONFIDENCE = 0.9;

interface SttSettings {
  sampleRateHz: number;
  interim: boolean;
  endpointSilenceMs: number;
  minSpeechMs: number;
  maxUtteranceMs: number;
  rule: TranscriptRule;
}

interface Utterance {
  no: number;
  startTsMs: number;
  voicedMs: number;
  /** Capture end of the last voiced chunk. */
  speechEndTsMs: number;
  trailingSilenceMs: number;
  nextPartialAtMs: number;
  firstResultServerTsMs: number | undefined;
}

type SttCall = SimCall<RecognizeRequest__Output, RecognizeResponse>;

export class SttSession {
  readonly #call: SttCall;
  readonly #profile: SttProfile;
  #settings: SttSettings | undefined;
  #requestId = '';
  #utterances = 0;
  #utt: Utterance | undefined;
  #runStartTsMs = 0;
  #runMs = 0;
  #pendingFinals: (() => void)[] = [];
  /** One audio message read: reports the count every AUDIO_PROGRESS_EVERY messages. */
  readonly #reportProgress = audioReadCounter((report) => this.#send(report));

  constructor(call: SttCall, profile: SttProfile) {
    this.#call = call;
    this.#profile = profile;
  }

  onRequest(req: RecognizeRequest__Output): void {
    if (this.#call.closed) {
      return;
    }
    const arrivalMs = nowMs();
    if (this.#settings === undefined) {
      this.#configure(req);
      return;
    }
    switch (req.kind) {
      case 'audio':
        if (req.audio != null) {
          this.#onAudio(req.audio, arrivalMs);
          this.#reportProgress();
        }
        return;
      case 'flush':
        this.#finalise();
        this.#send({
          turnId: req.flush?.turnId ?? '',
          flushDone: { turnId: req.flush?.turnId ?? '' },
        });
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

  /** Client half-close: finalise the current utterance and end OK. */
  onHalfClose(): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#settings === undefined) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    this.#finalise();
    this.#call.finish();
  }

  #configure(req: RecognizeRequest__Output): void {
    this.#requestId = req.requestId;
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
      return;
    }
    this.#send({
      ready: {
        partialResults: true,
        speechEvents: true,
        grammar: false,
        sampleRatesHz: STT_SAMPLE_RATES_HZ,
        engine: 'sim',
        audioProgress: true,
      },
    });
  }

  #settingsOf(config: RecognitionConfig__Output): SttSettings {
    if (config.encoding !== 'LINEAR16') {
      throw new Error(`unsupported encoding ${config.encoding}: the sim STT takes LINEAR16`);
    }
    if (
      !Number.isInteger(config.sampleRateHz) ||
      config.sampleRateHz < 8000 ||
      config.sampleRateHz > 96000
    ) {
      throw new Error(`unsupported sample_rate_hz ${config.sampleRateHz}`);
    }
    const ep = config.endpointing;
    const p = this.#profile;
    return {
      sampleRateHz: config.sampleRateHz,
      interim: config.interimResults,
      endpointSilenceMs: ep != null && ep.silenceMs > 0 ? ep.silenceMs : p.endpointSilenceMs,
      minSpeechMs: ep != null && ep.minSpeechMs > 0 ? ep.minSpeechMs : p.minSpeechMs,
      maxUtteranceMs: ep != null && ep.maxUtteranceMs > 0 ? ep.maxUtteranceMs : Infinity,
      rule: new TranscriptRule(parseTranscriptOption(config.options['transcripts']), p.msPerWord),
    };
  }

  #onAudio(chunk: AudioChunk__Output, arrivalMs: number): void {
    const settings = this.#settings;
    if (settings === undefined) {
      return;
    }
    const samples = chunk.audio.length >> 1;
    const durMs = (samples * 1000) / settings.sampleRateHz;
    const pcm =
      samples * 2 === chunk.audio.length ? chunk.audio : chunk.audio.subarray(0, samples * 2);
    const voiced = !chunk.concealed && rmsDbfs(pcm) >= this.#profile.energyThresholdDbfs;
    const captureEndMs = chunk.captureTsMs + durMs;
    const utt = this.#utt;
    if (utt === undefined) {
      if (!voiced) {
        this.#runMs = 0;
        return;
      }
      if (this.#runMs === 0) {
        this.#runStartTsMs = chunk.captureTsMs;
      }
      this.#runMs += durMs;
      if (this.#runMs >= settings.minSpeechMs) {
        this.#startUtterance(captureEndMs, settings, arrivalMs);
      }
      return;
    }
    if (voiced) {
      utt.voicedMs += durMs;
      utt.trailingSilenceMs = 0;
      utt.speechEndTsMs = captureEndMs;
      this.#maybePartial(utt, settings);
      if (utt.speechEndTsMs - utt.startTsMs >= settings.maxUtteranceMs) {
        this.#endpoint(utt, captureEndMs, arrivalMs);
      }
      return;
    }
    utt.trailingSilenceMs += durMs;
    if (utt.trailingSilenceMs >= settings.endpointSilenceMs) {
      this.#endpoint(utt, captureEndMs, arrivalMs);
    }
  }

  #startUtterance(speechEndTsMs: number, settings: SttSettings, arrivalMs: number): void {
    const utt: Utterance = {
      no: ++this.#utterances,
      startTsMs: this.#runStartTsMs,
      voicedMs: this.#runMs,
      speechEndTsMs,
      trailingSilenceMs: 0,
      nextPartialAtMs: this.#profile.partialCadenceMs,
      firstResultServerTsMs: undefined,
    };
    this.#utt = utt;
    this.#runMs = 0;
    this.#send({
      speechEvent: { type: 'SPEECH_STARTED', audioTsMs: utt.startTsMs, utterance: utt.no },
    });
    this.#maybePartial(utt, settings);
    if (utt.speechEndTsMs - utt.startTsMs >= settings.maxUtteranceMs) {
      this.#endpoint(utt, speechEndTsMs, arrivalMs);
    }
  }

  #maybePartial(utt: Utterance, settings: SttSettings): void {
    if (!settings.interim || utt.voicedMs < utt.nextPartialAtMs) {
      return;
    }
    const cadence = this.#profile.partialCadenceMs;
    utt.nextPartialAtMs = (Math.floor(utt.voicedMs / cadence) + 1) * cadence;
    utt.firstResultServerTsMs ??= nowMs();
    this.#send({
      transcript: {
        text: settings.rule.partialText(utt.no, utt.voicedMs),
        isFinal: false,
        stability: PARTIAL_STABILITY,
        confidence: PARTIAL_CONFIDENCE,
        startTsMs: utt.startTsMs,
        endTsMs: utt.speechEndTsMs,
        utterance: utt.no,
        firstResultServerTsMs: utt.firstResultServerTsMs,
      },
    });
  }

  /** The endpointer decided (on arrival of the deciding chunk): events now, final later. */
  #endpoint(utt: Utterance, decidingEndTsMs: number, arrivalMs: number): void {
    this.#utt = undefined;
    this.#send({
      speechEvent: { type: 'SPEECH_ENDED', audioTsMs: utt.speechEndTsMs, utterance: utt.no },
    });
    this.#send({
      speechEvent: { type: 'END_OF_UTTERANCE', audioTsMs: decidingEndTsMs, utterance: utt.no },
    });
    let sent = false;
    const sendFinal = (): void => {
      if (!sent) {
        sent = true;
        this.#pendingFinals = this.#pendingFinals.filter((f) => f !== sendFinal);
        this.#sendFinal(utt);
      }
    };
    this.#pendingFinals.push(sendFinal);
    this.#call.scheduler.at(arrivalMs + this.#profile.finalDelayMs, sendFinal);
  }

  /** Flush / half-close: every pending final now, and the current utterance's final at once. */
  #finalise(): void {
    for (const sendFinal of [...this.#pendingFinals]) {
      sendFinal();
    }
    this.#runMs = 0;
    const utt = this.#utt;
    if (utt === undefined) {
      return;
    }
    this.#utt = undefined;
    this.#send({
      speechEvent: { type: 'SPEECH_ENDED', audioTsMs: utt.speechEndTsMs, utterance: utt.no },
    });
    this.#sendFinal(utt);
  }

  #sendFinal(utt: Utterance): void {
    const settings = this.#settings;
    if (settings === undefined) {
      return;
    }
    utt.firstResultServerTsMs ??= nowMs();
    this.#send({
      transcript: {
        text: settings.rule.finalText(utt.no, utt.voicedMs),
        isFinal: true,
        stability: 1,
        confidence: FINAL_CONFIDENCE,
        startTsMs: utt.startTsMs,
        endTsMs: utt.speechEndTsMs,
        utterance: utt.no,
        firstResultServerTsMs: utt.firstResultServerTsMs,
      },
    });
  }

  #send(response: Omit<RecognizeResponse, 'requestId' | 'serverTsMs'>): void {
    this.#call.send({ ...response, requestId: this.#requestId, serverTsMs: nowMs() });
  }
}

/** The Recognize handler of a sim server. */
export function recognizeHandler(
  ctx: EngineContext<'stt'>,
): handleBidiStreamingCall<RecognizeRequest__Output, RecognizeResponse> {
  return (call) => {
    const opened = ctx.open('Recognize', call);
    if (opened === undefined) {
      return;
    }
    const session = new SttSession(opened.sim, opened.profile);
    call.on('data', (req: RecognizeRequest__Output) => session.onRequest(req));
    // A client cancellation also ends the request stream, just before grpc-js
    // reports 'cancelled': look at the half-close only once that had its chance.
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
}
