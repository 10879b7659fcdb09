import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, TurnMetrics } from '../frames/events.js';
import type { OutputFrame } from '../frames/frames.js';
import type { ChatTurn } from '../frames/chat.js';
import type { Metrics } from '../observability/metrics.js';
import type { TurnStages } from '../stages/stage-ports.js';
import type { TurnOutcome } from './turn-observer.js';
import type { ClientTools } from './tools/client-tools.js';
import type { TtsCache } from '../stages/tts-cache.js';

export interface TurnContext {
  readonly sessionId: string;
  readonly config: PipelineConfig;
  readonly stages: TurnStages;
  readonly metrics: Metrics;
  readonly logger: Logger;
  emit(event: ServerEvent): void;
  /** Queue a reply frame for paced output. */
  enqueue(frame: OutputFrame): void;
  /** Call back once every frame queued so far has been sent. */
  markEnd(cb: () => void): void;
  /** The next output frame sequence number of the session. */
  nextOutputSeq(): number;
  /** True once the client sends playback marks (then they, not the pacer, say what was heard). */
  marksInUse(): boolean;
  /** The session's client tools (`function_call.output` answers). */
  readonly clientTools: ClientTools;
  /** The process's cache of synthesised fixed phrases (fillers). */
  readonly ttsCache: TtsCache;
}

export interface TurnInput {
  turnId: string;
  userText: string;
  messages: ChatTurn[];
  speechEndTsMs: number | null;
  endpointTsMs: number | null;
  sttFinalTsMs: number | null;
  /** Preemptive: generate but hold every output until `release()`. */
  held?: boolean;
}

export interface TurnResult {
  outcome: TurnOutcome;
  /** The reply text the user heard (whole reply when done, the heard prefix otherwise). */
  heardText: string;
  metrics: TurnMetrics;
  /** The tool calls and results of the turn, in order, for the history. */
  toolExchange: readonly ChatTurn[];
}
