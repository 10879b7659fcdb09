/**
 * Simulated TextToSpeech.Synthesize: text in, paced PCM16 audio out with exact
 * alignment (see tts-timeline.ts for the text → audio rule and span semantics).
 *
 * Pacing (absolute): the first chunk goes out firstAudioMs after the first
 * text chunk arrived (and not before the stall ends); each next chunk
 * duration·realTimeFactor after the previous one, or as soon as its text
 * arrives when production was starved. Chunks hold chunkMs of audio; only the
 * chunk before a completion point (Flush, half-close) may be shorter.
 * Flush: FlushDone once all audio for the text received before it was sent.
 * Half-close: the remaining audio, then done{total_audio_ms}, then OK.
 */
import { status as GrpcStatus, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { SynthesisConfig__Output } from '../../generated/voicerelay/v1/SynthesisConfig.js';
import type { SynthesizeRequest__Output } from '../../generated/voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import type { EngineContext } from './engine-context.js';
import type { TtsProfile } from './profiles.js';
import type { SimCall } from './sim-call.js';
import { renderPcm } from './tts-audio.js';
import { TtsTimeline } from './tts-timeline.js';

type TtsCall = SimCall<SynthesizeRequest__Output, SynthesizeResponse>;

export class TtsSession {
  readonly #call: TtsCall;
  readonly #profile: TtsProfile;
  #timeline: TtsTimeline | undefined;
  #requestId = '';
  #turnId = '';
  #sentSamples = 0;
  #seq = 0;
  #spanEnd = 0;
  #firstTextAtMs: number | undefined;
  #firstAudioServerTsMs = 0;
  /** When the next chunk is due (pacing), once the first chunk is known. */
  #nextDueMs: number | undefined;
  #waitingUntil: number | undefined;
  #flushes: { samples: number; turnId: string }[] = [];
  #halfClosed = false;

  constructor(call: TtsCall, profile: TtsProfile) {
    this.#call = call;
    this.#profile = profile;
  }

  onRequest(req: SynthesizeRequest__Output): void {
    if (this.#call.closed) {
      return;
    }
    const arrivalMs = nowMs();
    const timeline = this.#timeline;
    if (timeline === undefined) {
      this.#configure(req);
      return;
    }
    switch (req.kind) {
      case 'text': {
        const text = req.text?.text ?? '';
        if (timeline.length + text.length > this.#profile.maxTextChars) {
          this.#call.fail(
            GrpcStatus.RESOURCE_EXHAUSTED,
            `text exceeds ${this.#profile.maxTextChars} UTF-16 code units per stream`,
          );
          return;
        }
        if (text === '') {
          return;
        }
        this.#firstTextAtMs ??= arrivalMs;
        timeline.append(text);
        this.#pump(arrivalMs);
        return;
      }
      case 'flush':
        timeline.markComplete();
        this.#flushes.push({
          samples: timeline.samplesAt(timeline.length),
          turnId: req.flush?.turnId ?? '',
        });
        this.#pump(arrivalMs);
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

  /** Client half-close: finish the remaining audio, then done and OK. */
  onHalfClose(): void {
    if (this.#call.closed) {
      return;
    }
    const timeline = this.#timeline;
    if (timeline === undefined) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    this.#halfClosed = true;
    timeline.markComplete();
    this.#pump(nowMs());
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
      this.#timeline = this.#timelineOf(req.config);
    } catch (err) {
      this.#call.fail(
        GrpcStatus.INVALID_ARGUMENT,
        err instanceof Error ? err.message : String(err),
      );
    }
  }

  #timelineOf(config: SynthesisConfig__Output): TtsTimeline {
    if (config.encoding !== 'LINEAR16') {
      throw new Error(`unsupported encoding ${config.encoding}: the sim TTS produces LINEAR16`);
    }
    const rate = config.sampleRateHz;
    if (!Number.isInteger(rate) || rate < 8000 || rate > 48000) {
      throw new Error(`unsupported sample_rate_hz ${rate}`);
    }
    const speed = config.speakingRate === 0 ? 1 : config.speakingRate;
    if (!(speed >= 0.25 && speed <= 4)) {
      throw new Error(`unsupported speaking_rate ${speed}`);
    }
    return new TtsTimeline(rate, this.#profile.msPerChar / speed);
  }

  /** Send every chunk that is due, then FlushDones/done; arm a timer for the next chunk. */
  #pump(triggerMs: number): void {
    const timeline = this.#timeline;
    if (timeline === undefined || this.#call.closed) {
      return;
    }
    const chunkSamples = Math.max(
      1,
      Math.round((this.#profile.chunkMs * timeline.sampleRateHz) / 1000),
    );
    for (;;) {
      const upTo = timeline.producibleOffset();
      const remaining = timeline.samplesAt(upTo) - this.#sentSamples;
      const n =
        remaining >= chunkSamples
          ? chunkSamples
          : remaining > 0 && timeline.isComplete(upTo)
            ? remaining
            : 0;
      if (n === 0) {
        break;
      }
      const dueMs = Math.max(this.#dueMs(), triggerMs);
      if (dueMs > nowMs()) {
        this.#wakeAt(dueMs);
        break;
      }
      this.#sendChunk(timeline, n, upTo, dueMs);
    }
    this.#answerFlushes();
    if (this.#halfClosed && this.#sentSamples >= timeline.samplesAt(timeline.length)) {
      this.#send({ done: { totalAudioMs: (this.#sentSamples * 1000) / timeline.sampleRateHz } });
      this.#call.finish();
    }
  }

  #dueMs(): number {
    if (this.#nextDueMs !== undefined) {
      return this.#nextDueMs;
    }
    const stallEndMs = this.#call.startedAtMs + this.#profile.faults.stallBeforeFirstMs;
    return Math.max((this.#firstTextAtMs ?? nowMs()) + this.#profile.firstAudioMs, stallEndMs);
  }

  #wakeAt(dueMs: number): void {
    if (this.#waitingUntil === dueMs || !Number.isFinite(dueMs)) {
      return;
    }
    this.#waitingUntil = dueMs;
    this.#call.scheduler.at(dueMs, () => {
      if (this.#waitingUntil === dueMs) {
        this.#waitingUntil = undefined;
        this.#pump(dueMs);
      }
    });
  }

  #sendChunk(timeline: TtsTimeline, n: number, upTo: number, sentAtMs: number): void {
    const from = this.#sentSamples;
    const to = from + n;
    const start = this.#spanEnd;
    const end = timeline.spanEnd(start, upTo, to);
    const durationMs = (n * 1000) / timeline.sampleRateHz;
    this.#sentSamples = to;
    this.#spanEnd = end;
    this.#nextDueMs = sentAtMs + durationMs * this.#profile.realTimeFactor;
    if (this.#seq === 0) {
      this.#firstAudioServerTsMs = nowMs();
    }
    this.#send({
      audio: {
        audio: renderPcm(timeline, from, to),
        seq: this.#seq++,
        span: { start, end },
        durationMs,
      },
    });
  }

  #answerFlushes(): void {
    while (this.#flushes.length > 0) {
      const flush = this.#flushes[0];
      if (flush === undefined || flush.samples > this.#sentSamples) {
        return;
      }
      this.#flushes.shift();
      this.#send({ turnId: flush.turnId, flushDone: { turnId: flush.turnId } });
    }
  }

  #send(
    response: Omit<SynthesizeResponse, 'requestId' | 'serverTsMs' | 'firstAudioServerTsMs'>,
  ): void {
    this.#call.send({
      turnId: this.#turnId,
      ...response,
      requestId: this.#requestId,
      serverTsMs: nowMs(),
      firstAudioServerTsMs: this.#firstAudioServerTsMs,
    });
  }
}

/** The Synthesize handler of a sim server. */
export function synthesizeHandler(
  ctx: EngineContext<'tts'>,
): handleBidiStreamingCall<SynthesizeRequest__Output, SynthesizeResponse> {
  return (call) => {
    const opened = ctx.open('Synthesize', call);
    if (opened === undefined) {
      return;
    }
    const session = new TtsSession(opened.sim, opened.profile);
    call.on('data', (req: SynthesizeRequest__Output) => session.onRequest(req));
    // A client cancellation also ends the request stream, just before grpc-js
    // reports 'cancelled': look at the half-close only once that had its chance.
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
}
