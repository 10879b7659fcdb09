/**
 * Client-side helpers for tests of (and with) the sim engines: stage clients
 * for a sim server and a recorder that waits on a response stream's messages
 * and final status with timeouts, never with sleeps.
 */
import { credentials, Metadata, status as GrpcStatus, type Client } from '@grpc/grpc-js';
import type { EventEmitter } from 'node:events';
import { nowMs } from '../../core/clock.js';
import { stageProtos } from '../../grpc/protos.js';
import { silence, synthVoice } from '../../media/pcm.js';
import type { AudioChunk } from '../../generated/voicerelay/v1/AudioChunk.js';
import type { LanguageModelClient } from '../../generated/voicerelay/v1/LanguageModel.js';
import type { SpeechToTextClient } from '../../generated/voicerelay/v1/SpeechToText.js';
import type { TextToSpeechClient } from '../../generated/voicerelay/v1/TextToSpeech.js';
import { SIM_PROFILE_METADATA_KEY } from './profiles.js';

export interface SimClients {
  stt: SpeechToTextClient;
  llm: LanguageModelClient;
  tts: TextToSpeechClient;
  close(): void;
}

/**
 * Insecure stage clients for `address`. Each client has its own connection
 * (local subchannel pool), so an injected connection abort only hits the
 * calls of the client it was aimed at.
 */
export function simClients(address: string): SimClients {
  const protos = stageProtos();
  const insecure = credentials.createInsecure();
  const options = { 'grpc.use_local_subchannel_pool': 1 };
  const stt = new protos.SpeechToText(address, insecure, options);
  const llm = new protos.LanguageModel(address, insecure, options);
  const tts = new protos.TextToSpeech(address, insecure, options);
  return {
    stt,
    llm,
    tts,
    close: () => {
      for (const client of [stt, llm, tts] as Client[]) {
        client.close();
      }
    },
  };
}

/** Metadata carrying an `x-sim-profile` override. */
export function simProfileMetadata(profile: unknown): Metadata {
  const md = new Metadata();
  md.set(SIM_PROFILE_METADATA_KEY, typeof profile === 'string' ? profile : JSON.stringify(profile));
  return md;
}

export interface Received<T> {
  message: T;
  /** Client relay-clock time of receipt. */
  atMs: number;
}

export interface FinalStatus {
  code: GrpcStatus;
  details: string;
  atMs: number;
}

/** Records every message and the final status of a client response stream. */
export class StreamRecorder<T> {
  readonly received: Received<T>[] = [];
  #status: FinalStatus | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(stream: EventEmitter) {
    stream.on('data', (message: T) => {
      this.received.push({ message, atMs: nowMs() });
      this.#wake();
    });
    stream.on('error', (err: Error & { code?: number; details?: string }) => {
      this.#finish({
        code: err.code ?? GrpcStatus.UNKNOWN,
        details: err.details ?? err.message,
        atMs: nowMs(),
      });
    });
    stream.on('status', (s: { code: number; details: string }) => {
      this.#finish({ code: s.code, details: s.details, atMs: nowMs() });
    });
  }

  get messages(): T[] {
    return this.received.map((r) => r.message);
  }

  get status(): FinalStatus | undefined {
    return this.#status;
  }

  /** The first message (received so far or later) matching `predicate`. */
  next(predicate: (m: T) => boolean, timeoutMs = 10_000): Promise<Received<T>> {
    return this.#until(() => this.received.find((r) => predicate(r.message)), timeoutMs, 'message');
  }

  /** Wait until `count` messages matching `predicate` were received. */
  count(predicate: (m: T) => boolean, count: number, timeoutMs = 10_000): Promise<Received<T>[]> {
    return this.#until(
      () => {
        const all = this.received.filter((r) => predicate(r.message));
        return all.length >= count ? all : undefined;
      },
      timeoutMs,
      `${count} messages`,
    );
  }

  /** The call's final status. */
  done(timeoutMs = 10_000): Promise<FinalStatus> {
    return this.#until(() => this.#status, timeoutMs, 'the final status');
  }

  #finish(status: FinalStatus): void {
    this.#status ??= status;
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) {
      waiter();
    }
  }

  #until<R>(probe: () => R | undefined, timeoutMs: number, what: string): Promise<R> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        } else if (this.#status !== undefined) {
          cleanup();
          reject(new Error(`stream ended (${GrpcStatus[this.#status.code]}) before ${what}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

export type AudioSegment = readonly ['voice' | 'silence', number];

/**
 * Audio chunks of chunkMs each for a script of voiced and silent stretches,
 * with consecutive seq numbers and capture times from `startTsMs`.
 * Every segment must be a whole number of chunks.
 */
export function audioChunks(
  segments: readonly AudioSegment[],
  options: { chunkMs?: number; sampleRateHz?: number; startTsMs?: number; firstSeq?: number } = {},
): AudioChunk[] {
  const chunkMs = options.chunkMs ?? 20;
  const rate = options.sampleRateHz ?? 16000;
  let ts = options.startTsMs ?? 1_000_000;
  let seq = options.firstSeq ?? 0;
  const voice = synthVoice(chunkMs, rate);
  const quiet = silence(chunkMs, rate);
  const out: AudioChunk[] = [];
  for (const [kind, ms] of segments) {
    if (ms % chunkMs !== 0) {
      throw new RangeError(`segment of ${ms} ms is not a multiple of ${chunkMs} ms`);
    }
    for (let i = 0; i < ms / chunkMs; i++) {
      out.push({ seq: seq++, captureTsMs: ts, audio: kind === 'voice' ? voice : quiet });
      ts += chunkMs;
    }
  }
  return out;
}
