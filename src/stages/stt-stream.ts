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
import type { EndpointRoute, EndpointSelector } from './endpoint-selector.js';
import { poolSettingsOf, type EndpointPool, type PoolLease } from './pool/endpoint-pool.js';
import { ReplayWindow } from './replay-window.js';
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
  onAudioDropped?(reason: SttDropReason, frames: number): void;
}

/**
 * Why caller audio did not reach STT: the engine is behind by more than the budget, the
 * stream was down longer than the replay window, or a stream given up after a missed
 * budget took frames the engine never read.
 */
export type SttDropReason = 'stt_backpressure' | 'stt_unavailable' | 'stt_restart';

export interface SttStreamOptions {
  sessionId: string;
  config: SttStageConfig;
  sampleRateHz: number;
  clients: StageClients;
  metrics: Metrics;
  logger: Logger;
  handlers: SttStreamHandlers;
  /**
   * Frames allowed to wait for the engine before new ones are dropped: the per-session
   * memory budget (the pipeline's `uplink.bufferSeconds`), default 10 s. With an engine
   * that reports AudioProgress the wait is what was written minus what it read;
   * otherwise only the gRPC write buffer is visible.
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
  /** The stage's selector, or its endpoint pool (README "Endpoint pools"). */
  readonly #source: EndpointSelector | EndpointPool;
  #selector: EndpointRoute;
  /** The pool's view of the current call: its first answer (`ready`) and how it ended. */
  #lease: { lease: PoolLease; startedMs: number } | undefined;
  readonly #backoff = new Backoff({ initialMs: 50, maxMs: 2_000 });
  readonly #maxPending: number;
  readonly #frameRelay: Metrics['frameRelay'];
  readonly #dropBackpressure;
  readonly #dropDown;
  readonly #dropRestart;
  readonly #replayed: Metrics['sttReplayedFrames'];
  readonly #maxSilentReopens: number;
  readonly #window: ReplayWindow;
  /** Audio messages written on the current call, and read by its engine (if it says). */
  #callWritten = 0;
  #engineRead: number | undefined;
  #readyWithProgress = false;
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
    const { endpoints, balance } = options.config;
    this.#source = options.clients.selector(
      'stt',
      endpoints,
      balance,
      poolSettingsOf(options.config),
    );
    this.#selector = this.#source.route();
    this.#maxPending = options.maxPendingFrames ?? 500;
    this.#frameRelay = options.metrics.frameRelay;
    this.#dropBackpressure = options.metrics.framesDropped.labels('stt_backpressure');
    this.#dropDown = options.metrics.framesDropped.labels('stt_unavailable');
    this.#dropRestart = options.metrics.framesDropped.labels('stt_restart');
    this.#replayed = options.metrics.sttReplayedFrames;
    this.#maxSilentReopens = options.maxSilentReopens ?? 4;
    // Never more than the write buffer may hold: a replay must not look like backpressure.
    const replay = Math.min(options.replayFrames ?? 250, Math.floor(this.#maxPending / 2));
    this.#window = new ReplayWindow(replay);
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
    const source = this.#source;
    if (generation > 1 && 'lease' in source) {
      this.#selector = source.route(); // a re-open follows the pool's current order
    }
    this.#endpoint = this.#selector.pick(this.#attempt);
    if ('lease' in source) {
      this.#lease = { lease: source.lease(this.#endpoint), startedMs: nowMs() };
    }
    let call: ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output>;
    try {
      const client = this.#o.clients.get('stt', this.#endpoint);
      call = client.Recognize(this.#o.clients.metadata(this.#endpoint, cfg.sim));
    } catch (err) {
      this.#fail(fromGrpcError(err, 'stt'), generation);
      return;
    }
    this.#call = call;
    this.#callWritten = 0;
    this.#engineRead = undefined;
    this.#readyWithProgress = false;
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
    return this.#window.size;
  }

  /** Audio messages on the current call the engine has not read yet (as far as it shows). */
  get backlog(): number {
    const call = this.#call;
    if (call === undefined) {
      return 0;
    }
    const read = this.#engineRead;
    return read === undefined ? call.writableLength : this.#callWritten - read;
  }

  /** Hot path: one frame to the stage (kept for replay until acknowledged). */
  write(frame: AudioFrame): void {
    const call = this.#call;
    if (call !== undefined && this.backlog >= this.#maxPending) {
      this.#dropBackpressure.inc();
      this.#o.handlers.onAudioDropped?.('stt_backpressure', 1);
      return;
    }
    if (this.#window.keep(frame)) {
      // Pushed out of the window before any stream got it: this audio is lost.
      this.#dropDown.inc();
      this.#o.handlers.onAudioDropped?.('stt_unavailable', 1);
    }
    if (call === undefined) {
      return; // written when the stream is re-opened
    }
    this.#send(call, frame);
    this.#window.markSent();
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
    this.#callWritten++;
  }

  /** Write the replay window on a new stream (the frames it has not seen included). */
  #replay(call: ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output>): void {
    const n = this.#window.size;
    this.#window.forEach((f) => this.#send(call, f));
    if (n > 0 && this.#generation > 1) {
      this.#replayed.inc(n);
    }
    this.#window.markSent();
  }

  flush(turnId: string): void {
    this.#call?.write({ flush: { turnId } });
  }

  /**
   * Give up the current call and open a new one (e.g. after a missed budget). The audio
   * captured from `keepFromTsMs` on is written again on the new call (what the caller
   * said after the lost utterance); the rest is abandoned. Frames the old call's engine
   * never read and that are not written again are counted as dropped and reported.
   */
  restart(useNextEndpoint: boolean, keepFromTsMs = Infinity): void {
    if (this.#closed) {
      return;
    }
    const unread = this.#engineRead === undefined ? 0 : this.backlog;
    this.#retireCall();
    const lost = unread - this.#window.dropBefore(keepFromTsMs);
    if (lost > 0) {
      this.#dropRestart.inc(lost);
      this.#o.handlers.onAudioDropped?.('stt_restart', lost);
    }
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
    this.#window.dropBefore(Infinity);
  }

  /** Stop listening to the current call and half-close it (no RST_STREAM). */
  #retireCall(): void {
    const call = this.#call;
    this.#call = undefined;
    this.#generation++;
    this.#endLease(false);
    if (call !== undefined) {
      this.#o.clients.retire(call);
    }
  }

  /** The current call is over for the pool; `failed`: on an error the endpoint is to blame for. */
  #endLease(failed: boolean): void {
    this.#lease?.lease.end(failed);
    this.#lease = undefined;
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
            this.#window.acknowledge(msg.transcript.endTsMs);
          }
          this.#o.handlers.onTranscript(msg.transcript, ts);
        }
        break;
      case 'speechEvent':
        if (msg.speechEvent != null) {
          this.#o.handlers.onSpeechEvent(msg.speechEvent, ts);
        }
        break;
      case 'progress':
        if (msg.progress != null && this.#readyWithProgress) {
          this.#engineRead = Number(msg.progress.audioMessages);
        }
        break;
      case 'ready':
        this.#lease?.lease.first(ts - this.#lease.startedMs);
        this.#readyWithProgress = msg.ready?.audioProgress === true;
        if (this.#readyWithProgress) {
          this.#engineRead = 0;
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
    this.#endLease(err.retryable);
    this.#o.metrics.stageErrors.labels('stt', err.code).inc();
    this.#o.logger.warn(
      { stage: 'stt', code: err.code, endpoint: this.#endpoint, inRow: this.#failuresInRow },
      'stt stream failed',
    );
    if (!err.retryable) {
      this.#window.dropBefore(Infinity);
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
