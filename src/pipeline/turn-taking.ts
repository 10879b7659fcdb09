/**
 * Turn-taking decisions, pure: no clock, no timers, no I/O. The session feeds it VAD
 * events, STT results and the passing of time (one call per audio frame), and carries
 * out the actions it returns.
 *
 * - Endpointing: a user turn is committed once a final transcript is in, the user is
 *   silent, and at least `minDelayMs` have passed since speech end. Finals that come
 *   while the user keeps talking (a short pause mid-sentence) are joined into one turn.
 *   After `maxDelayMs` of silence with speech but no final, the STT is asked to flush.
 * - Interruptions: user speech over the agent for `minSpeechMs` interrupts it, unless
 *   the interim transcript is a backchannel ("uh-huh", "yeah"); speech with no
 *   transcript interrupts after `minSpeechMs + transcriptWaitMs`. Shorter bursts never do.
 * - Preemptive generation: at the STT's end-of-utterance, a stable partial starts the
 *   reply early; the final confirms it (same words) or discards it.
 */
export interface TurnTakingOptions {
  minDelayMs: number;
  maxDelayMs: number;
  interruptions: boolean;
  minInterruptSpeechMs: number;
  transcriptWaitMs: number;
  backchannels: readonly string[];
  preemptive: boolean;
  preemptiveMinStability: number;
}

export type TurnAction =
  | {
      type: 'commit';
      text: string;
      utterance: number;
      speechEndTsMs: number | null;
      endpointTsMs: number;
      sttFinalTsMs: number;
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
  #candidate: { startTsMs: number; partial: string | null } | undefined;
  #lastPartial: { text: string; stability: number } | undefined;
  #preempted: string | undefined;

  constructor(options: TurnTakingOptions) {
    this.#o = options;
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

  isBackchannel(text: string): boolean {
    const n = normalizeText(text);
    return n !== '' && this.#backchannels.has(n);
  }

  onSpeechStarted(tsMs: number): TurnAction[] {
    this.#speaking = true;
    this.#speechSinceTurn = true;
    this.#flushed = false;
    if (this.#agentActive && this.#o.interruptions) {
      this.#candidate = { startTsMs: tsMs, partial: null };
    }
    return NONE;
  }

  onSpeechStopped(tsMs: number, nowMs: number): TurnAction[] {
    this.#speaking = false;
    this.#lastSpeechEndTsMs = tsMs;
    this.#candidate = undefined; // a short burst or a backchannel ended: no interruption
    return this.#tryCommit(nowMs);
  }

  onPartial(text: string, stability: number): TurnAction[] {
    this.#lastPartial = { text, stability };
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
    if (this.#agentActive && this.isBackchannel(t)) {
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
    return this.#tryCommit(nowMs);
  }

  /** Time passes (once per audio frame): interruption and endpoint timing. */
  onTick(nowMs: number, captureEndTsMs: number): TurnAction[] {
    const c = this.#candidate;
    if (c !== undefined && this.#speaking && this.#agentActive) {
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
      nowMs - end >= this.#o.maxDelayMs
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
    if (end !== null && nowMs - end < this.#o.minDelayMs) {
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
    };
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

  #discard(): TurnAction[] {
    this.#preempted = undefined;
    return [{ type: 'preempt-discard' }];
  }
}
