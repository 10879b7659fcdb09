import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent, TurnMetrics } from '../frames/events.js';
import type { OutputFrame } from '../frames/frames.js';
import type { ChatTurn, ToolCallRecord } from '../frames/chat.js';
import type { Metrics } from '../observability/metrics.js';
import type { PhraseCache, TurnStages } from '../stages/stage-ports.js';
import type { TurnOutcome } from './turn-observer.js';
import type { ClientTools } from './tools/client-tools.js';

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
  readonly ttsCache: PhraseCache;
  /** A `keep` tool call of an ended turn has its result: `messages` (call, result) join the history. */
  toolResultKept(turnId: string, messages: ChatTurn[], call: ToolCallRecord, ok: boolean): void;
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
  /**
   * What the user heard, fillers included where they played (the whole spoken text when
   * done, the heard prefix otherwise).
   */
  heardText: string;
  metrics: TurnMetrics;
  /** The turn's messages for the history: heard text, tool calls and results, in order. */
  history: ChatTurn[];
}
