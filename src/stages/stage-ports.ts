/**
 * The stage interfaces the pipeline needs. `stages/` implements them over gRPC and
 * converts the proto messages there, so the pipeline sees only the relay's own types.
 */
import type { Logger } from 'pino';
import type { LlmStageConfig, SttStageConfig, TtsStageConfig } from '../config/pipeline-schema.js';
import type { RelayError } from '../errors/errors.js';
import type { ChatTurn } from '../frames/chat.js';
import type { AudioFrame } from '../frames/frames.js';
import type { Metrics } from '../observability/metrics.js';
import type { SttDropReason, SttStreamHandlers } from './stt-stream.js';

export type { SttDropReason };
/** What the session's STT stream reports (see SttStream). */
export type SttStageHandlers = SttStreamHandlers;

/** The endpoints one call tries, in order: `pick(0)` first, `pick(1)` on fallback, … */
export interface StageRoute {
  readonly count: number;
  pick(attempt: number): string;
}

/** Completion of a stage call, reported exactly once (undefined on success). */
export interface StageCallHandlers<E> {
  onEvent(event: E): void;
  onDone(err: RelayError | undefined): void;
}

export type LlmEvent =
  | { kind: 'delta'; text: string }
  /** A fragment of tool call `index`: the first carries id and name, the rest argument text. */
  | { kind: 'toolCall'; index: number; id: string; name: string; arguments: string }
  | { kind: 'usage'; promptTokens: number; completionTokens: number };

export interface LlmRequest {
  requestId: string;
  turnId: string;
  sessionId: string;
  messages: readonly ChatTurn[];
  /** Tools the model may call (parameters: a JSON Schema as text). */
  tools: readonly { name: string; description: string; parametersJson: string }[];
  config: LlmStageConfig;
  endpoint: string;
  /** Absolute deadline of the call (monotonic ms). */
  deadlineMs: number;
}

/** One LLM generation (a server stream). */
export interface LlmCall {
  cancel(): void;
}

export interface TtsEvent {
  audio: Buffer;
  /** Offset in the text sent so far up to which this audio speaks, when the engine says. */
  textEnd: number | null;
}

export interface TtsRequest {
  requestId: string;
  turnId: string;
  config: TtsStageConfig;
  sampleRateHz: number;
  endpoint: string;
  deadlineMs: number;
}

/** One TTS synthesis (a bidi stream): text in as it forms, audio out. */
export interface TtsCall {
  push(text: string): void;
  /** No more text. */
  end(): void;
  cancel(reason: string): void;
  /** Stop/start reading audio (output backpressure). */
  pause(): void;
  resume(): void;
}

/** What a turn calls: an LLM and a TTS stage, each with the process's endpoint selection. */
export interface TurnStages {
  route(stage: 'llm' | 'tts', config: LlmStageConfig | TtsStageConfig): StageRoute;
  /** Throws a RelayError when the call cannot be started. */
  generate(req: LlmRequest, handlers: StageCallHandlers<LlmEvent>): LlmCall;
  /** Throws a RelayError when the call cannot be started. */
  synthesize(req: TtsRequest, handlers: StageCallHandlers<TtsEvent>): TtsCall;
}

export interface SttStageRequest {
  sessionId: string;
  config: SttStageConfig;
  sampleRateHz: number;
  handlers: SttStageHandlers;
  /** Frames allowed to wait for the engine before new ones are dropped (memory budget). */
  maxPendingFrames: number;
  metrics: Metrics;
  logger: Logger;
}

/** The session's one long-lived STT stream, as the pipeline drives it. */
export interface SttStage {
  /** The endpoint of the current stream. */
  readonly endpoint: string;
  readonly framesWritten: number;
  start(): void;
  /** Hot path: one ordered 20 ms frame. */
  write(frame: AudioFrame): void;
  flush(turnId: string): void;
  /**
   * Re-open the stream, on the next endpoint of the route when asked (budget fallback),
   * sending it again the audio captured from `keepFromTsMs` on (default: none).
   */
  restart(useNextEndpoint: boolean, keepFromTsMs?: number): void;
  close(): void;
}

/**
 * How the pipeline gets its stages: the composition root hands a factory in, so
 * `pipeline/` depends on these interfaces only, never on the gRPC clients.
 */
/** One TTS chunk's alignment: by byte `audioEnd` of the audio, text up to `textEnd` is spoken. */
export interface SpeechSpan {
  audioEnd: number;
  textEnd: number;
}

/**
 * Synthesised speech of one text: PCM, the text offset it speaks up to, and the
 * alignment of each audio chunk as the TTS stage sent it (replayed on a cache hit, so
 * what was heard of a cached phrase is as exact as of a live one).
 */
export interface CachedSpeech {
  audio: Buffer;
  textEnd: number;
  spans: readonly SpeechSpan[];
}

/** Synthesised audio of fixed phrases (fillers), shared by the sessions of a process. */
export interface PhraseCache {
  /** `text` as `req`'s TTS says it: from the cache, or synthesised once and cached. */
  speak(
    stages: TurnStages,
    req: TtsRequest,
    text: string,
    result: (r: 'hit' | 'miss') => void,
  ): Promise<CachedSpeech>;
}

export interface StageFactory {
  /** A new STT stream for one session (not started). */
  openStt(req: SttStageRequest): SttStage;
  /** The LLM and TTS stages of a session's turns. */
  turnStages(): TurnStages;
  /** The process's phrase cache. */
  phraseCache(): PhraseCache;
}
