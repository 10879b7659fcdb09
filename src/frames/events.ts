/**
 * Server → client events of protocol v1 (README "Protocol"). The pipeline emits
 * them; every transport (WebSocket, WebRTC data channel, carriers) carries them.
 */
import type { ErrorCode } from '../errors/errors.js';

export type StageName = 'stt' | 'llm' | 'tts';
/** `filler`: the dead-air governor spoke a filler instead of leaving silence. */
export type BudgetAction = 'record' | 'cancel' | 'fallback' | 'filler';

/** Per-turn latency waterfall (architecture section 4). Missing points are null. */
export interface TurnMetrics {
  turnId: string;
  /** Capture time of the last voiced frame of the user's turn. */
  speechEndTsMs: number | null;
  /** speech_end → relay decides the turn is over. */
  endpointMs: number | null;
  /** speech_end → final transcript received from STT. */
  sttFinalMs: number | null;
  /** LLM request sent → first token. */
  llmTtftMs: number | null;
  /** First text sent to TTS → first audio chunk received. */
  ttsTtfaMs: number | null;
  /** speech_end → first reply frame written to the client. */
  voiceToVoiceMs: number | null;
  /** speech_end → client/carrier confirms playout of the first reply frame. */
  voiceToVoiceEdgeMs: number | null;
  /** LLM request sent → last token. */
  llmTotalMs: number | null;
  promptTokens: number;
  completionTokens: number;
  /** Stages whose budget was exceeded in this turn. */
  budgetsExceeded: StageName[];
  interrupted: boolean;
  /** Tool calls made in this turn, and the time spent waiting for their results (ms). */
  toolCalls: number;
  toolMs: number | null;
  /**
   * Silence the caller heard in this turn beyond nothing: speech end (or turn start) →
   * first reply audio, plus gaps between reply frames, each counted past 0 ms (fillers
   * fill them).
   */
  deadAirMs: number;
  /** How the turn detector ended the user's turn (absent for typed turns). */
  endOfTurn?: EndOfTurnMetrics;
}

export interface EndOfTurnMetrics {
  /** The detector that decided: silence, semantic, or grpc (semantic when a gRPC one fell back). */
  detector: string;
  /** Its end-of-turn probability when it decided. */
  probability: number;
  /** Silence from speech end until the turn was ended, ms. */
  waitMs: number | null;
  /** The caller resumed speaking within endpoint.falseCutoffWindowMs of the turn's end. */
  falseCutoff: boolean;
}

export type ServerEvent =
  | {
      type: 'session.ready';
      sessionId: string;
      pipeline: string;
      sampleRateHz: number;
      frameMs: number;
    }
  | { type: 'speech.started'; tsMs: number }
  | { type: 'speech.stopped'; tsMs: number }
  | { type: 'transcript.partial'; text: string; stability: number; utterance: number }
  | { type: 'transcript.final'; text: string; utterance: number; turnId: string }
  | { type: 'response.started'; turnId: string }
  | { type: 'response.text.delta'; turnId: string; text: string }
  | { type: 'response.audio.mark'; turnId: string; mark: string; seq: number }
  | {
      type: 'response.done';
      turnId: string;
      /** The model's reply text. */
      text: string;
      /** What the caller heard: the reply with fillers where they played (the history's text). */
      heardText: string;
    }
  | {
      type: 'response.function_call';
      turnId: string;
      callId: string;
      name: string;
      /** The arguments as JSON text (already checked against the tool's schema). */
      arguments: string;
    }
  | { type: 'response.function_call.cancelled'; turnId: string; callId: string }
  | {
      type: 'response.function_call.kept';
      turnId: string;
      callId: string;
      name: string;
      /** False when the result is an error result. */
      ok: boolean;
    }
  | { type: 'response.filler'; turnId: string; text: string }
  | { type: 'response.interrupted'; turnId: string; heardText: string; heardAudioMs: number }
  | ({ type: 'turn.metrics' } & TurnMetrics)
  | {
      type: 'budget.exceeded';
      turnId: string;
      /** `dead_air`: the turn's silence budget (config `deadAir`), not a stage's. */
      stage: StageName | 'dead_air';
      budgetMs: number;
      elapsedMs: number;
      action: BudgetAction;
    }
  | { type: 'error'; code: ErrorCode; message: string; turnId?: string }
  | { type: 'dtmf'; digit: string }
  | { type: 'session.closing'; reason: string; code: number };

export type ServerEventType = ServerEvent['type'];
