import { status as GrpcStatus, type ClientDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { RecognizeRequest } from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse__Output } from '../generated/voicerelay/v1/RecognizeResponse.js';
import type { Transcript__Output } from '../generated/voicerelay/v1/Transcript.js';
import type { SpeechEvent__Output } from '../generated/voicerelay/v1/SpeechEvent.js';
import type { AudioFrame } from '../frames/frames.js';
import type { SttStageConfig } from '../config/pipeline-schema.js';
import type { Metrics } from '../observability/metrics.js';
import { Backoff } from '../core/backoff.js';
import { nowMs } from '../core/clock.js';
import { fromGrpcError, isServiceError } from '../errors/map.js';
import type { RelayError } from '../errors/errors.js';
import type { EndpointRoute } from './endpoint-selector.js';
import type { StageClients } from './stage-clients.js';

export interface SttStreamHandlers {
  onTranscript(t: Transcript__Output, receivedTsMs: number): void;
  onSpeechEvent(e: SpeechEvent__Output, receivedTsMs: number): void;
  onFlushDone(turnId: string): void;
  /**
   * The stream failed and the relay gives up on hiding it: `err` is not retryable (the
   * stream stays closed), or it failed `maxSilentReopens` times in a row without a
   * response in between (it goes on being re-opened after a backoff). A retryable
   * failure before that is re-opened and replayed without a word to the handler.
   */
  onFailure(err: RelayError): void;
  /** Caller audio was dropped (beyond the memory budget): already counted in the metric. */
  onAudioDropped?(reason: SttDropReason): void;
}

export type SttDropReason = 'stt_backpressure' | 'stt_unavailable';

export interface SttStreamOptions {
  sessionId: string;
  config: SttStageConfig;
  sampleRateHz: number;
  clients: StageClients;
  metrics: Metrics;
  logger: Logger;
  handlers: SttStreamHandlers;
  /**
   * Frames allowed to wait in the gRPC write buffer before new ones are dropped: the
   * per-session memory budget (the pipeline's `uplink.bufferSeconds`), default 10 s.
   */
  maxPendingFrames?: number;
  /**
   * Frames kept for replay after the engine's last final transcript (default 250, 5 s of
   * 20 ms frames, at most half of maxPendingFrames): the audio a re-opened stream is sent
   * again. Older audio is not replayed.
   */
  replayFrames?: number;
  /** Retryable failures in a row re-opened without telling the handler (default 4). */
  maxSilentReopens?: number;
}

/**
 * The session's one long-lived STT stream. Frames are written as they come and kept in
 * a bounded replay window until the engine acknowledges them with a final transcript.
 * When the stream fails with a retryable error it is re-opened (with backoff) and the
 * window is written again, frames that arrived while it was down included, so a
 * reconnect loses no turn; only frames pushed out of the window before they were ever
 * sent are dropped (counted, and the handler told). Streams the session no longer needs
 * are half-closed, never reset (see StageClients.retire).
 */
export class SttStream {
  readonly #o: SttStreamOptions;
  readonly #selector: EndpointRoute;
  readonly #backoff = new Backoff({ initialMs: 50, maxMs: 2_000 });
  readonly #maxPending: number;
  readonly #frameRelay: Metrics['frameRelay'];
  readonly #dropBackpressure;
  readonly #dropDown;
  readonly #replayed: Metrics['sttReplayedFrames'];
  readonly #maxSilentReopens: number;
  /** The replay window: a ring of the frames since the last acknowledged point. */
  readonly #ring: (AudioFrame | undefined)[];
  /** Absolute indexes: oldest frame kept, next frame, first frame not yet written. */
  #head = 0;
  #tail = 0;
  #sent = 0;
  /** Failures since the engine last answered on a stream. */
  #failuresInRow = 0;
  #call: ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output> | undefined;
  #endpoint = '';
  #attempt = 0;
  #generation = 0;
  #reopenTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #framesWritten = 0;

  constructor(options: SttStreamOptions) {
    this.#o = options;
    this.#selector = options.clients
      .selector('stt', options.config.endpoints, options.config.balance)
      .route();
    this.#maxPending = options.maxPendingFrames ?? 500;
    this.#frameRelay = options.metrics.frameRelay;
    this.#dropBackpressure = options.metrics.framesDropped.labels('stt_backpressure');
    this.#dropDown = options.metrics.framesDropped.labels('stt_unavailable');
    this.#replayed = options.metrics.sttReplayedFrames;
    this.#maxSilentReopens = options.maxSilentReopens ?? 4;
    // Never more than the write buffer may hold: a replay must not look like backpressure.
    const replay = Math.min(options.replayFrames ?? 250, Math.floor(this.#maxPending / 2));
    this.#ring = new Array<AudioFrame | undefined>(Math.max(1, replay)).fill(undefined);
  }

  get open(): boolean {
    return this.#call !== undefined;
  }

  get endpoint(): string {
    return this.#endpoint;
  }

  get framesWritten(): number {
    return this.#framesWritten;
  }

  start(): void {
    if (this.#closed || this.#call !== undefined) {
      return;
    }
    const generation = ++this.#generation;
    const cfg = this.#o.config;
    this.#endpoint = this.#selector.pick(this.#attempt);
    let call: ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output>;
    try {
      const client = this.#o.clients.get('stt', this.#endpoint);
      call = client.Recognize(this.#o.clients.metadata(this.#endpoint, cfg.sim));
    } catch (err) {
      this.#fail(fromGrpcError(err, 'stt'), generation);
      return;
    }
    this.#call = call;
    call.on('data', (msg: RecognizeResponse__Output) => this.#onData(msg, generation));
    call.on('error', (err: unknown) => {
      if (
        isServiceError(err) &&
        err.code === GrpcStatus.CANCELLED &&
        generation !== this.#generation
      ) {
        return; // we cancelled it ourselves
      }
      this.#fail(fromGrpcError(err, 'stt'), generation);
    });
    call.on('end', () => {
      if (generation === this.#generation && !this.#closed) {
        this.#fail(fromGrpcError(new Error('stream ended by the server'), 'stt'), generation);
      }
    });
    call.write({
      requestId: this.#o.sessionId,
      config: {
        encoding: 'LINEAR16',
        sampleRateHz: this.#o.sampleRateHz,
        language: cfg.language,
        interimResults: cfg.interimResults,
        endpointing: {
          silenceMs: cfg.endpointing.silenceMs,
          minSpeechMs: cfg.endpointing.minSpeechMs,
          maxUtteranceMs: cfg.endpointing.maxUtteranceMs,
        },
        grammar: cfg.grammar ?? '',
        options: cfg.options,
      },
    });
    this.#replay(call);
  }

  /** Frames in the replay window (for tests and diagnostics). */
  get replayWindow(): number {
    return this.#tail - this.#head;
  }

  /** Hot path: one frame to the stage (kept for replay until acknowledged). */
  write(frame: AudioFrame): void {
    const call = this.#call;
    if (call !== undefined && call.writableLength >= this.#maxPending) {
      this.#dropBackpressure.inc();
      this.#o.handlers.onAudioDropped?.('stt_backpressure');
      return;
    }
    this.#keep(frame);
    if (call === undefined) {
      return; // written when the stream is re-opened
    }
    this.#send(call, frame);
    this.#sent = this.#tail;
    this.#frameRelay.observe((nowMs() - frame.arrivalTsMs) / 1000);
  }

  #send(
    call: ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output>,
    f: AudioFrame,
  ): void {
    call.write({
      audio: { seq: f.seq, captureTsMs: f.captureTsMs, audio: f.payload, concealed: f.concealed },
    });
    this.#framesWritten++;
  }

  #keep(frame: AudioFrame): void {
    const cap = this.#ring.length;
    if (this.#tail - this.#head === cap) {
      if (this.#head >= this.#sent) {
        // Pushed out before any stream got it: this audio is lost.
        this.#dropDown.inc();
        this.#o.handlers.onAudioDropped?.('stt_unavailable');
        this.#sent = this.#head + 1;
      }
      this.#ring[this.#head % cap] = undefined;
      this.#head++;
    }
    this.#ring[this.#tail % cap] = frame;
    this.#tail++;
  }

  /** Write the replay window on a new stream (the frames it has not seen included). */
  #replay(call: ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output>): void {
    const cap = this.#ring.length;
    for (let i = this.#head; i < this.#tail; i++) {
      const f = this.#ring[i % cap];
      if (f !== undefined) {
        this.#send(call, f);
      }
    }
    const n = this.#tail - this.#head;
    if (n > 0 && this.#generation > 1) {
      this.#replayed.inc(n);
    }
    this.#sent = this.#tail;
  }

  /** The engine finalised the audio up to `endTsMs` (0: all of it): no replay needed. */
  #acknowledge(endTsMs: number): void {
    const cap = this.#ring.length;
    while (this.#head < this.#sent) {
      const f = this.#ring[this.#head % cap];
      if (f !== undefined && endTsMs > 0 && f.captureTsMs >= endTsMs) {
        break;
      }
      this.#ring[this.#head % cap] = undefined;
      this.#head++;
    }
  }

  #forget(): void {
    this.#ring.fill(undefined);
    this.#head = this.#tail;
    this.#sent = this.#tail;
  }

  flush(turnId: string): void {
    this.#call?.write({ flush: { turnId } });
  }

  /**
   * Give up the current call and open a new one (e.g. after a missed budget): the audio
   * so far is abandoned, not replayed.
   */
  restart(useNextEndpoint: boolean): void {
    if (this.#closed) {
      return;
    }
    this.#retireCall();
    this.#forget();
    if (useNextEndpoint) {
      this.#attempt++;
    }
    this.#o.metrics.sttReconnects.inc();
    this.start();
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (this.#reopenTimer !== undefined) {
      clearTimeout(this.#reopenTimer);
      this.#reopenTimer = undefined;
    }
    this.#retireCall();
    this.#forget();
  }

  /** Stop listening to the current call and half-close it (no RST_STREAM). */
  #retireCall(): void {
    const call = this.#call;
    this.#call = undefined;
    this.#generation++;
    if (call !== undefined) {
      this.#o.clients.retire(call);
    }
  }

  #onData(msg: RecognizeResponse__Output, generation: number): void {
    if (generation !== this.#generation) {
      return;
    }
    const ts = nowMs();
    this.#failuresInRow = 0;
    switch (msg.kind) {
      case 'transcript':
        if (msg.transcript != null) {
          this.#backoff.reset();
          if (msg.transcript.isFinal) {
            this.#acknowledge(msg.transcript.endTsMs);
          }
          this.#o.handlers.onTranscript(msg.transcript, ts);
        }
        break;
      case 'speechEvent':
        if (msg.speechEvent != null) {
          this.#o.handlers.onSpeechEvent(msg.speechEvent, ts);
        }
        break;
      case 'flushDone':
        this.#o.handlers.onFlushDone(msg.flushDone?.turnId ?? msg.turnId);
        break;
      default:
        break;
    }
  }

  #fail(err: RelayError, generation: number): void {
    if (this.#closed || generation !== this.#generation) {
      return;
    }
    this.#call = undefined;
    this.#generation++;
    this.#failuresInRow++;
    this.#o.metrics.stageErrors.labels('stt', err.code).inc();
    this.#o.logger.warn(
      { stage: 'stt', code: err.code, endpoint: this.#endpoint, inRow: this.#failuresInRow },
      'stt stream failed',
    );
    if (!err.retryable) {
      this.#forget();
      this.#o.handlers.onFailure(err);
      return; // the same request would fail again: stay down
    }
    if (this.#failuresInRow === this.#maxSilentReopens + 1) {
      this.#o.handlers.onFailure(err); // re-opening goes on; the session is told once
    }
    if (this.#selector.count > 1) {
      this.#attempt++;
    }
    const delayMs = this.#backoff.nextDelayMs();
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      this.#o.metrics.sttReconnects.inc();
      this.start();
    }, delayMs);
    this.#reopenTimer.unref();
  }
}
