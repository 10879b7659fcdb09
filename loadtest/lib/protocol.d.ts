// Types of protocol.js (pure protocol v1 helpers shared by k6 and Node).

export declare const HEADER_BYTES: 12;
export declare const FRAME_MS: 20;
export declare const FLAG_REPLY_START: 1;
export declare const FLAG_REPLY_END: 2;

export interface FrameHeader {
  seq: number;
  timestampMs: number;
  flags: number;
  payloadBytes: number;
}

export declare function bytesPerFrame(sampleRateHz: number): number;
export declare function buildFrame(
  seq: number,
  timestampMs: number,
  payload: Uint8Array,
  flags?: number,
): ArrayBuffer;
export declare function parseHeader(buf: ArrayBuffer): FrameHeader | null;
export declare function speechPcm(sampleRateHz: number, durationMs: number): Uint8Array;
export declare function parseWav(buf: ArrayBuffer): {
  sampleRateHz: number;
  channels: number;
  pcm: Uint8Array;
};
export declare function percentile(values: readonly number[], p: number): number;

export interface Thresholds {
  firstAudioP95Ms: number;
  voiceToVoiceP95Ms: number;
  callOkRate: number;
}
export declare const SIM_STAGE_SUM_MS: number;
export declare const CLIENT_V2V_P95_MS: number;
export declare const DEFAULT_THRESHOLDS: Readonly<Thresholds>;
export declare function thresholdsFromEnv(
  env: Record<string, string | undefined> | undefined,
): Thresholds;
export declare function k6Thresholds(t: Thresholds): Record<string, string[]>;
export interface ThresholdSamples {
  firstAudioMs: readonly number[];
  voiceToVoiceMs: readonly number[];
  calls: number;
  callsOk: number;
}
export declare function evaluateThresholds(
  s: ThresholdSamples,
  t: Thresholds,
): { ok: boolean; failures: string[] };
export declare function sessionUrl(base: string, pipeline: string): string;

export interface CallOptions {
  sampleRateHz?: number;
  /** One utterance, PCM16 LE mono at sampleRateHz (default: 1.2 s of speechPcm). */
  speech?: Uint8Array;
  turns?: number;
  /** Silence after session.ready before the first turn (default 200). */
  leadMs?: number;
  /** Silence after a turn's turn.metrics before the next (default 300). */
  gapMs?: number;
  /** Longest wait for a turn's turn.metrics after its speech end (default 10000). */
  turnTimeoutMs?: number;
  /** Interrupt every turn but the last once this much of its reply has played. */
  bargeInMs?: number;
  /** Playout delay at the start of a reply (default 0). */
  playoutBufferMs?: number;
  /** Send playback.mark {seq} for played reply audio (default false). */
  playbackMarks?: boolean;
  /** Interval between playback marks (default 100). */
  markEveryMs?: number;
  /** The heard text expected after `playedMs` of a reply (e.g. simHeardText). */
  expectHeard?: (replyText: string, playedMs: number) => string;
}

export interface CallTurn {
  index: number;
  /** Send time of the turn's last speech frame (the caller's clock). */
  speechEndMs: number | null;
  speechEndSeq: number | null;
  /** Speech end → first reply frame received (client timing). */
  firstAudioMs: number | null;
  /** Speech end → first reply frame starts playing on the caller's playout clock. */
  firstPlayedMs: number | null;
  /** From the turn's turn.metrics (relay clock). */
  voiceToVoiceMs: number | null;
  transcript: string | null;
  reply: string | null;
  turnId: string | null;
  metrics: Record<string, unknown> | null;
  /** Concatenated response.text.delta texts. */
  replyText: string;
  /** Reply audio played, ms (end of the last played frame's offset in its reply). */
  playedMs: number;
  /** The caller talked over this turn's reply. */
  bargedIn: boolean;
  playedAtBargeInMs: number | null;
  /** response.interrupted arrived for this turn. */
  interrupted: boolean;
  heardText: string | null;
  heardAudioMs: number | null;
  expectedHeardText: string | null;
  /** heardText equals expectedHeardText (null when not checked). */
  heardExact: boolean | null;
}

export interface CallResults {
  sessionId: string | null;
  turns: CallTurn[];
  ok: boolean;
  errors: string[];
  closedBy: string | null;
  framesSent: number;
  framesReceived: number;
  /** Reply frames that were not intact (size, flags, seq or timestamp). */
  badFrames: number;
}

export type CallPhase = 'connecting' | 'lead' | 'speaking' | 'waiting' | 'gap' | 'done' | 'closed';

export interface Call {
  readonly phase: CallPhase;
  readonly done: boolean;
  readonly sessionId: string | null;
  poll(nowMs: number): (ArrayBuffer | string)[];
  onText(text: string, nowMs: number): { type?: string; [k: string]: unknown } | null;
  onBinary(buf: ArrayBuffer, nowMs: number): FrameHeader | null;
  onClose(code?: number): void;
  frameSentAt(seq: number): number | undefined;
  results(): CallResults;
}

export declare function createCall(opts: CallOptions): Call;
export declare function simHeardText(
  text: string,
  playedMs: number,
  msPerChar: number,
  chunkMs: number,
): string;
export declare function normText(t: string | null | undefined): string;
