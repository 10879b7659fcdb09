import type { DetectorName, TurnDetector } from './turn-detection/detector.js';
import { SilenceDetector } from './turn-detection/silence.js';
import type { EchoFilter } from './echo-filter.js';

/**
 * Turn-taking decisions, pure: no clock, no timers, no I/O. The session feeds it VAD
 * events, STT results and the passing of time (one call per audio frame), and carries
 * out the actions it returns.
 *
 * - Endpointing: a user turn is committed once a final transcript is in, the user is
 *   silent, and the turn detector's wait has passed since speech end (the `silence`
 *   detector: `minDelayMs`). Finals that come while the user keeps talking (a short pause
 *   mid-sentence) are joined into one turn. After `maxDelayMs` of silence with speech but
 *   no final, the STT is asked to flush; a detector that `endsBeforeFinal` asks as soon as
 *   its own wait has passed.
 * - Interruptions: user speech over the agent for `minSpeechMs` interrupts it, unless
 *   the interim transcript is a backchannel ("uh-huh", "yeah"); speech with no
 *   transcript interrupts after `minSpeechMs + transcriptWaitMs`. Shorter bursts never do.
 * - Preemptive generation: at the STT's end-of-utterance, a stable partial starts the
 *   reply early; the final confirms it (same words) or discards it.
 */
export interface TurnTakingOptions {
  /** Decides when the caller has finished; default: the silence rule with `minDelayMs`. */
  detector?: TurnDetector;
  minDelayMs: number;
  maxDelayMs: number;
  interruptions: boolean;
  minInterruptSpeechMs: number;
  transcriptWaitMs: number;
  backchannels: readonly string[];
  preemptive: boolean;
  preemptiveMinStability: number;
  /** Drops transcripts of the agent's own voice (pipeline `echo`). */
  echo?: EchoFilter;
}

export type TurnAction =
  | {
      type: 'commit';
      text: string;
      utterance: number;
      speechEndTsMs: number | null;
      endpointTsMs: number;
      sttFinalTsMs: number;
      /** The detector's view when it ended the turn. */
      detector: DetectorName;
      eotProbability: number;
      waitMs: number;
    }
  | { type: 'interrupt'; speechStartTsMs: number }
  | { type: 'flush-stt' }
  | { type: 'preempt'; text: string }
  | { type: 'preempt-confirm' }
  | { type: 'preempt-discard' };

const NONE: TurnAction[] = [];

/** Lower-case words without punctuation, for comparing transcripts. */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .replace(/[-\s]+/g, ' ')
    .trim();
}

export class TurnTaking {
  #o: TurnTakingOptions;
  readonly #detector: TurnDetector;
  readonly #backchannels: Set<string>;
  #speaking = false;
  #lastSpeechEndTsMs: number | null = null;
  #speechSinceTurn = false;
  #flushed = false;
  #pending: string[] = [];
  #pendingUtterance = 0;
  #pendingEndpointTsMs = 0;
  #pendingFinalTsMs = 0;
  #endpointTsMs: number | null = null;
  #agentActive = false;
  #candidate: { startTsMs: number; partial: string | null; echo?: boolean } | undefined;
  #lastPartial: { text: string; stability: number } | undefined;
  #preempted: string | undefined;

  constructor(options: TurnTakingOptions) {
    this.#o = options;
    this.#detector = options.detector ?? new SilenceDetector(options.minDelayMs);
    this.#backchannels = new Set(options.backchannels.map(normalizeText));
  }

  get interruptions(): boolean {
    return this.#o.interruptions;
  }

  setInterruptions(enabled: boolean): void {
    this.#o = { ...this.#o, interruptions: enabled };
    if (!enabled) {
      this.#candidate = undefined;
    }
  }

  /** The agent started or stopped responding (generating or playing audio). */
  setAgentActive(active: boolean): void {
    this.#agentActive = active;
    if (!active) {
      this.#candidate = undefined;
    }
  }

  get echo(): EchoFilter | undefined {
    return this.#o.echo;
  }

  get detector(): TurnDetector {
    return this.#detector;
  }

  /** One frame of caller audio, for detectors that read prosody (hot path). */
  onAudio(pcm: Buffer, captureTsMs: number, durationMs: number): void {
    this.#detector.onAudio(pcm, captureTsMs, durationMs);
  }

  isBackchannel(text: string): boolean {
    const n = normalizeText(text);
    return n !== '' && this.#backchannels.has(n);
  }

  onSpeechStarted(tsMs: number): TurnAction[] {
    this.#speaking = true;
    this.#speechSinceTurn = true;
    this.#flushed = false;
    this.#detector.onSpeechStarted(tsMs);
    if (this.#agentActive && this.#o.interruptions) {
      this.#candidate = { startTsMs: tsMs, partial: null };
    }
    return NONE;
  }

  onSpeechStopped(tsMs: number, nowMs: number): TurnAction[] {
    this.#speaking = false;
    this.#lastSpeechEndTsMs = tsMs;
    this.#detector.onSpeechStopped(tsMs);
    this.#candidate = undefined; // a short burst or a backchannel ended: no interruption
    return this.#tryCommit(nowMs);
  }

  onPartial(text: string, stability: number): TurnAction[] {
    if (this.#o.echo?.isEcho(text, 'partial') === true) {
      if (this.#candidate !== undefined) {
        this.#candidate.echo = true; // the speech heard is the agent's own: no barge-in
      }
      return NONE;
    }
    if (this.#candidate !== undefined) {
      this.#candidate.echo = false;
    }
    this.#lastPartial = { text, stability };
    this.#detector.onTranscript(text, false);
    if (this.#candidate !== undefined) {
      this.#candidate.partial = text;
    }
    return NONE;
  }

  /** The STT's endpointer decided the utterance is over (its final follows). */
  onEndOfUtterance(nowMs: number): TurnAction[] {
    if (this.#endpointTsMs === null) {
      this.#endpointTsMs = nowMs;
    }
    const p = this.#lastPartial;
    if (
      this.#o.preemptive &&
      this.#preempted === undefined &&
      !this.#agentActive &&
      this.#pending.length === 0 &&
      p !== undefined &&
      p.stability >= this.#o.preemptiveMinStability &&
      normalizeText(p.text) !== '' &&
      !this.isBackchannel(p.text)
    ) {
      this.#preempted = p.text;
      return [{ type: 'preempt', text: p.text }];
    }
    return NONE;
  }

  onFinal(text: string, utterance: number, nowMs: number): TurnAction[] {
    this.#lastPartial = undefined;
    const t = text.trim();
    if (t === '') {
      return this.#preempted !== undefined ? this.#discard() : NONE;
    }
    if ((this.#agentActive && this.isBackchannel(t)) || this.#o.echo?.isEcho(t, 'final') === true) {
      // "uh-huh" while the agent talks: acknowledged, not a new turn.
      this.#endpointTsMs = null;
      return NONE;
    }
    if (this.#pending.length === 0) {
      this.#pendingUtterance = utterance;
      this.#pendingEndpointTsMs = this.#endpointTsMs ?? nowMs;
    }
    this.#pendingFinalTsMs = nowMs;
    this.#endpointTsMs = null;
    this.#pending.push(t);
    this.#detector.onTranscript(t, true);
    return this.#tryCommit(nowMs);
  }

  /** Time passes (once per audio frame): interruption and endpoint timing. */
  onTick(nowMs: number, captureEndTsMs: number): TurnAction[] {
    const c = this.#candidate;
    if (c !== undefined && this.#speaking && this.#agentActive && c.echo !== true) {
      const spoken = captureEndTsMs - c.startTsMs;
      if (spoken >= this.#o.minInterruptSpeechMs) {
        const judged = c.partial !== null && normalizeText(c.partial) !== '';
        const interrupt = judged
          ? !this.isBackchannel(c.partial ?? '')
          : spoken >= this.#o.minInterruptSpeechMs + this.#o.transcriptWaitMs;
        if (interrupt) {
          this.#candidate = undefined;
          return [{ type: 'interrupt', speechStartTsMs: c.startTsMs }];
        }
      }
    }
    if (this.#pending.length > 0) {
      return this.#tryCommit(nowMs);
    }
    const end = this.#lastSpeechEndTsMs;
    if (
      !this.#speaking &&
      this.#speechSinceTurn &&
      !this.#flushed &&
      end !== null &&
      nowMs - end >= this.#flushAfterMs(nowMs)
    ) {
      this.#flushed = true;
      return [{ type: 'flush-stt' }];
    }
    return NONE;
  }

  #tryCommit(nowMs: number): TurnAction[] {
    if (this.#pending.length === 0 || this.#speaking) {
      return NONE;
    }
    const end = this.#lastSpeechEndTsMs;
    const est = this.#detector.estimate(nowMs);
    if (end !== null && nowMs - end < est.waitMs) {
      return NONE;
    }
    const text = this.#pending.join(' ');
    const commit: TurnAction = {
      type: 'commit',
      text,
      utterance: this.#pendingUtterance,
      speechEndTsMs: this.#speechSinceTurn ? end : null,
      endpointTsMs: this.#pendingEndpointTsMs,
      sttFinalTsMs: this.#pendingFinalTsMs,
      detector: this.#detector.name,
      eotProbability: est.probability,
      waitMs: est.waitMs,
    };
    this.#detector.reset();
    this.#pending = [];
    this.#speechSinceTurn = false;
    this.#lastSpeechEndTsMs = null;
    const preempted = this.#preempted;
    this.#preempted = undefined;
    if (preempted === undefined) {
      return [commit];
    }
    return normalizeText(preempted) === normalizeText(text)
      ? [{ type: 'preempt-confirm' }, commit]
      : [{ type: 'preempt-discard' }, commit];
  }

  /** Silence without a final after which the STT is asked for one. */
  #flushAfterMs(nowMs: number): number {
    const d = this.#detector;
    return d.endsBeforeFinal
      ? Math.min(this.#o.maxDelayMs, d.estimate(nowMs).waitMs)
      : this.#o.maxDelayMs;
  }

  #discard(): TurnAction[] {
    this.#preempted = undefined;
    return [{ type: 'preempt-discard' }];
  }
}
