import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import type { DetectRequest } from '../../generated/voicerelay/v1/DetectRequest.js';
import type { DetectResponse__Output } from '../../generated/voicerelay/v1/DetectResponse.js';
import type { TurnDetectorClient } from '../../generated/voicerelay/v1/TurnDetector.js';
import { STAGE_CHANNEL_OPTIONS } from '../../grpc/channel.js';
import * as detector from './detector.js';
import type { DetectorName, TurnDetector, TurnEstimate } from './detector.js';
import { turnProto } from './turn-proto.js';

export type RemoteEvent = 'ready' | 'estimate' | 'failed' | 'fallback';

export interface RemoteOptions {
  /** gRPC target, `host:port`. */
  target: string;
  /** An answer later than this after the question: the fallback decides. */
  budgetMs: number;
  bounds: detector.EndpointingBounds;
  threshold: number;
  sessionId: string;
  language: string;
  sampleRateHz: number;
  /** Answers when the server is slow, dead or not yet connected. */
  fallback: TurnDetector;
  /** Stream state changes and fallbacks (metrics, tests). */
  onEvent?: (event: RemoteEvent) => void;
}

/** A failed stream is retried at the next speech start at least this much later. */
const RETRY_AFTER_MS = 5_000;

const MAX_BUFFERED_AUDIO_BYTES = 64 * 1024;

/** One channel per target for the whole process; every session opens a stream on it. */
const clients = new Map<string, TurnDetectorClient>();

function clientFor(target: string): TurnDetectorClient {
  let c = clients.get(target);
  if (c === undefined) {
    const Ctor = turnProto().TurnDetector;
    c = new Ctor(target, credentials.createInsecure(), STAGE_CHANNEL_OPTIONS);
    clients.set(target, c);
  }
  return c;
}

/**
 * A TurnDetector served over gRPC (proto/voicerelay/v1/turn.proto), with the embedded
 * detector always fed alongside. At each speech stop (and transcript change in the
 * silence) it asks the server; until the answer or the budget, it does not end the turn;
 * past the budget, or with the stream down, the fallback's estimate is used (and `name`
 * says so). Time comes from `estimate(nowMs)`: a question is stamped at the first estimate
 * after it was sent (one frame at most later).
 */
export class RemoteTurnDetector implements TurnDetector {
  readonly endsBeforeFinal = true;
  readonly #o: RemoteOptions;
  #call: ClientDuplexStream<DetectRequest, DetectResponse__Output> | undefined;
  #up = false;
  #failedAtTs: number | undefined;
  #wantsAudio = false;
  #speaking = false;
  #stopTs = 0;
  #lastTs = 0;
  #finals = '';
  #partial = '';
  #evalId = 0;
  #askedAtMs: number | undefined;
  #answered = false;
  #answer = 0;
  #fellBack = false;
  #name: DetectorName = 'grpc';
  /** Audio frames not sent because the stream's buffer was full. */
  droppedAudioFrames = 0;
  /** Questions the fallback answered because the server was late or down. */
  fallbacks = 0;

  constructor(o: RemoteOptions) {
    this.#o = o;
    this.#open();
  }

  get name(): DetectorName {
    return this.#name;
  }

  onAudio(pcm: Buffer, captureTsMs: number, durationMs: number): void {
    this.#o.fallback.onAudio(pcm, captureTsMs, durationMs);
    const call = this.#call;
    if (this.#wantsAudio && call !== undefined) {
      if (call.writableLength > MAX_BUFFERED_AUDIO_BYTES) {
        this.droppedAudioFrames++; // the server is not keeping up: it gets gaps, we stay bounded
      } else {
        call.write({ audio: pcm });
      }
    }
  }

  onSpeechStarted(tsMs: number): void {
    this.#o.fallback.onSpeechStarted(tsMs);
    this.#speaking = true;
    this.#lastTs = tsMs;
    if (this.#failedAtTs !== undefined && tsMs - this.#failedAtTs >= RETRY_AFTER_MS) {
      this.#open();
    }
    this.#send({ speech: { speaking: true, tsMs } });
  }

  onSpeechStopped(tsMs: number): void {
    this.#o.fallback.onSpeechStopped(tsMs);
    this.#speaking = false;
    this.#stopTs = tsMs;
    this.#lastTs = tsMs;
    this.#send({ speech: { speaking: false, tsMs } });
    this.#ask();
  }

  onTranscript(text: string, isFinal: boolean): void {
    this.#o.fallback.onTranscript(text, isFinal);
    if (isFinal) {
      this.#finals = this.#finals === '' ? text : `${this.#finals} ${text}`;
      this.#partial = '';
    } else {
      this.#partial = text;
    }
    this.#send({
      transcript: this.#partial === '' ? this.#finals : `${this.#finals} ${this.#partial}`,
    });
    if (!this.#speaking) {
      this.#ask();
    }
  }

  onProviderEndOfTurn(probability: number): void {
    this.#o.fallback.onProviderEndOfTurn(probability);
  }

  reset(): void {
    this.#o.fallback.reset();
    this.#finals = '';
    this.#partial = '';
    this.#askedAtMs = undefined;
    this.#answered = false;
    this.#send({ turnEnded: {} });
  }

  estimate(nowMs: number): TurnEstimate {
    const fb = this.#o.fallback.estimate(nowMs);
    if (this.#speaking) {
      return fb;
    }
    if (this.#answered) {
      this.#name = 'grpc';
      return {
        probability: this.#answer,
        waitMs: detector.waitForProbability(this.#answer, this.#o.threshold, this.#o.bounds),
      };
    }
    if (!this.#up) {
      this.#name = 'semantic';
      return fb;
    }
    const asked = (this.#askedAtMs ??= nowMs);
    if (nowMs - asked >= this.#o.budgetMs) {
      if (!this.#fellBack) {
        this.#fellBack = true;
        this.fallbacks++;
        this.#o.onEvent?.('fallback');
      }
      this.#name = 'semantic';
      return fb;
    }
    // Waiting for the server: never end the turn before its budget has run out.
    return {
      probability: fb.probability,
      waitMs: Math.max(fb.waitMs, asked + this.#o.budgetMs - this.#stopTs),
    };
  }

  close(): void {
    const call = this.#call;
    this.#call = undefined;
    this.#up = false;
    call?.cancel();
    this.#o.fallback.close();
  }

  #ask(): void {
    this.#evalId = (this.#evalId + 1) >>> 0;
    this.#askedAtMs = undefined;
    this.#answered = false;
    this.#fellBack = false;
    this.#send({ evaluate: { id: this.#evalId } });
  }

  #open(): void {
    this.#failedAtTs = undefined;
    const call = clientFor(this.#o.target).detect();
    this.#call = call;
    this.#up = true;
    call.on('data', (msg: DetectResponse__Output) => {
      if (this.#call !== call) {
        return;
      }
      if (msg.ready) {
        this.#wantsAudio = msg.ready.wantsAudio;
        this.#o.onEvent?.('ready');
      } else if (msg.estimate && msg.estimate.id === this.#evalId && !this.#fellBack) {
        this.#answered = true;
        this.#answer = Math.min(1, Math.max(0, msg.estimate.probability));
        this.#o.onEvent?.('estimate');
      }
    });
    call.on('error', () => this.#fail(call));
    call.on('end', () => this.#fail(call));
    call.write({
      config: {
        sessionId: this.#o.sessionId,
        language: this.#o.language,
        sampleRateHz: this.#o.sampleRateHz,
      },
    });
  }

  #fail(call: ClientDuplexStream<DetectRequest, DetectResponse__Output>): void {
    if (this.#call !== call) {
      return;
    }
    this.#call = undefined;
    this.#up = false;
    this.#wantsAudio = false;
    this.#failedAtTs = this.#lastTs;
    this.#o.onEvent?.('failed');
  }

  #send(req: DetectRequest): void {
    const call = this.#call;
    if (call !== undefined && this.#up) {
      call.write(req);
    }
  }
}
