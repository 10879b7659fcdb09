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
  /** The stream failed; it is re-opened automatically after a backoff. */
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
}

/**
 * The session's one long-lived STT stream. Frames are written as they come; when
 * the stream fails it is re-opened (with backoff) and frames that arrive while it
 * is down are dropped and counted, never queued without bound.
 */
export class SttStream {
  readonly #o: SttStreamOptions;
  readonly #selector: EndpointRoute;
  readonly #backoff = new Backoff({ initialMs: 50, maxMs: 2_000 });
  readonly #maxPending: number;
  readonly #frameRelay: Metrics['frameRelay'];
  readonly #dropBackpressure;
  readonly #dropDown;
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
  }

  /** Hot path: one frame to the stage. */
  write(frame: AudioFrame): void {
    const call = this.#call;
    if (call === undefined) {
      this.#dropDown.inc();
      this.#o.handlers.onAudioDropped?.('stt_unavailable');
      return;
    }
    if (call.writableLength >= this.#maxPending) {
      this.#dropBackpressure.inc();
      this.#o.handlers.onAudioDropped?.('stt_backpressure');
      return;
    }
    call.write({
      audio: {
        seq: frame.seq,
        captureTsMs: frame.captureTsMs,
        audio: frame.payload,
        concealed: frame.concealed,
      },
    });
    this.#framesWritten++;
    this.#frameRelay.observe((nowMs() - frame.arrivalTsMs) / 1000);
  }

  flush(turnId: string): void {
    this.#call?.write({ flush: { turnId } });
  }

  /** Cancel the current call and open a new one (e.g. after a missed budget). */
  restart(useNextEndpoint: boolean): void {
    if (this.#closed) {
      return;
    }
    this.#cancelCall();
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
    this.#cancelCall();
  }

  #cancelCall(): void {
    const call = this.#call;
    this.#call = undefined;
    this.#generation++;
    if (call !== undefined) {
      call.removeAllListeners('data');
      call.removeAllListeners('end');
      call.on('error', () => undefined);
      call.cancel();
    }
  }

  #onData(msg: RecognizeResponse__Output, generation: number): void {
    if (generation !== this.#generation) {
      return;
    }
    const ts = nowMs();
    switch (msg.kind) {
      case 'transcript':
        if (msg.transcript != null) {
          this.#backoff.reset();
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
    this.#o.metrics.stageErrors.labels('stt', err.code).inc();
    this.#o.logger.warn(
      { stage: 'stt', code: err.code, endpoint: this.#endpoint },
      'stt stream failed',
    );
    this.#o.handlers.onFailure(err);
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
