import {
  waitForProbability,
  type DetectorName,
  type EndpointingBounds,
  type TurnDetector,
  type TurnEstimate,
} from './detector.js';
import { ProsodyTracker, type ProsodyCues } from './prosody.js';
import { normalizeText } from '../turn-taking.js';
import { QUESTION_START, textCompleteness } from './text-cues.js';

/** Weights of the evidence, in logits (tuned on the evaluation's tuning split only). */
export interface SemanticWeights {
  bias: number;
  /** Times the logit of the transcript's completeness. */
  text: number;
  /** Per semitone the last ~200 ms sit below the utterance's pitch. */
  pitchFall: number;
  /** Per semitone per 100 ms of falling pitch slope at the end. */
  pitchSlope: number;
  /** Per semitone the last ~150 ms sit above the speaker's floor (negative: mid-thought). */
  pitchHeight: number;
  /** Per dB the last ~200 ms sit below the utterance's level. */
  energyFall: number;
  /** Per semitone the lowest pitch of the last ~150 ms sits below the speaker's median. */
  pitchMin: number;
  /** Per dB the last ~200 ms sit above the utterance's level when the turn opens as a question. */
  questionEnergy: number;
  /** Per second of the stretch of speech that just ended (a filler or a fragment is short). */
  speechLength: number;
  /** Per unit of slowing down at the end (1 − recent rate / utterance rate). */
  slowdown: number;
  /**
   * Times the text's logit while the transcript may still miss the last words (within
   * `sttLagMs` of speech end): the STT has not caught up with what was just said.
   */
  textProvisional: number;
  /**
   * Added when the stretch of speech that just ended was short and brought no new word
   * once the STT caught up: a filler or a breath the STT dropped, i.e. a hesitation.
   */
  noNewWords: number;
}

/** What the detector knows at one moment, before weighting (for evaluation and fitting). */
export interface SemanticEvidence {
  speaking: boolean;
  /** Logit of the transcript's completeness (0 when text is not read). */
  text: number;
  /** Within `sttLagMs` of speech end: the transcript may miss the last words. */
  provisional: boolean;
  /** The last stretch of speech was short and brought no new word (see `noNewWords`). */
  noNewWords: boolean;
  /** Clamped prosodic cues of the stretch that just ended (0 without enough voicing). */
  pitchFall: number;
  pitchSlope: number;
  pitchHeight: number;
  energyFall: number;
  slowdown: number;
  /** Semitones the final low sits below the speaker's median (positive: ended low). */
  pitchMin: number;
  /** Seconds of the stretch of speech that just ended (0 while speaking). */
  speechS: number;
  /** The transcript opens as a question: a final rise is not a sign of more to come. */
  question: boolean;
  /** An STT provider's own end-of-turn probability (0 when none). */
  provider: number;
}

export const DEFAULT_SEMANTIC_WEIGHTS: SemanticWeights = {
  bias: -2.1,
  text: 1.95,
  pitchFall: -0.86,
  pitchSlope: 0.22,
  pitchHeight: -1.2,
  energyFall: 0,
  pitchMin: 0.99,
  questionEnergy: 0.44,
  speechLength: 0.55,
  slowdown: -1.5,
  textProvisional: 0.24,
  noNewWords: -0.54,
};

export interface SemanticOptions {
  bounds: EndpointingBounds;
  /** Probability at or above which the wait is `bounds.minDelayMs`. */
  threshold: number;
  sampleRateHz: number;
  /** Read prosody from the audio (default true); false: transcript only. */
  prosody?: boolean;
  /** Read the transcript (default true); false: prosody only (for evaluation). */
  text?: boolean;
  /** Level counted as voiced for prosody, dBFS (default −40, as the energy VAD). */
  voicedDbfs?: number;
  weights?: Partial<SemanticWeights>;
  /**
   * How long after a word is spoken a streaming STT has it in its interim results (default
   * 500 ms): until then after speech end the transcript is provisional.
   */
  sttLagMs?: number;
  /** A stretch of speech shorter than this that adds no word reads as a hesitation (default 700). */
  shortSpeechMs?: number;
}

const MIN_VOICED_FRAMES = 8;

/** The end-of-turn logit of some evidence under some weights (speaking: −∞ is not needed, 0 prob). */
export function semanticProbability(e: SemanticEvidence, w: SemanticWeights): number {
  if (e.speaking) {
    return 0;
  }
  const z =
    w.bias +
    (e.provisional ? w.textProvisional : w.text) * e.text -
    (e.question ? 0 : w.pitchFall * e.pitchFall + w.pitchSlope * e.pitchSlope) +
    (e.question ? 0 : w.pitchHeight * e.pitchHeight + w.pitchMin * e.pitchMin) +
    (e.question ? w.questionEnergy * e.energyFall : -w.energyFall * e.energyFall) +
    w.speechLength * e.speechS +
    w.slowdown * e.slowdown +
    (e.noNewWords ? w.noNewWords : 0);
  return Math.max(sigmoid(z), e.provider);
}

/**
 * The embedded semantic detector: no model download, a few microseconds per decision.
 * Reads the words so far (trailing conjunctions, prepositions, fillers, open questions,
 * lists and numbers in progress) and the prosody of the speech that just ended, and turns
 * them into an end-of-turn probability and a wait between the endpointing bounds.
 */
export class SemanticDetector implements TurnDetector {
  readonly name: DetectorName = 'semantic';
  readonly endsBeforeFinal = true;
  readonly #o: SemanticOptions;
  readonly #w: SemanticWeights;
  readonly #prosody: ProsodyTracker | undefined;
  readonly #useText: boolean;
  readonly #lagMs: number;
  readonly #shortMs: number;
  #finals = '';
  #partial = '';
  #words = 0;
  #wordsAtStart = 0;
  /** Words in the transcript when speech stopped: more since means the STT caught up. */
  #wordsAtStop = 0;
  #startTs = 0;
  #stopTs = -Infinity;
  #speechMs = 0;
  /** The evidence; prosody and text parts change only on events, timing on `evidence()`. */
  readonly #e: SemanticEvidence = {
    speaking: false,
    text: 0,
    provisional: false,
    noNewWords: false,
    pitchFall: 0,
    pitchSlope: 0,
    pitchHeight: 0,
    energyFall: 0,
    slowdown: 0,
    pitchMin: 0,
    speechS: 0,
    question: false,
    provider: 0,
  };
  readonly #est: TurnEstimate = { probability: 0, waitMs: 0 };
  /** The cues read at the last speech end (for tests and debugging). */
  lastCues: ProsodyCues | undefined;

  constructor(o: SemanticOptions) {
    this.#o = o;
    this.#w = { ...DEFAULT_SEMANTIC_WEIGHTS, ...o.weights };
    this.#useText = o.text ?? true;
    this.#lagMs = o.sttLagMs ?? 500;
    this.#shortMs = o.shortSpeechMs ?? 700;
    this.#prosody =
      (o.prosody ?? true)
        ? new ProsodyTracker({ sampleRateHz: o.sampleRateHz, voicedDbfs: o.voicedDbfs ?? -40 })
        : undefined;
  }

  onAudio(pcm: Buffer, captureTsMs: number, durationMs: number): void {
    this.#prosody?.push(pcm, captureTsMs, durationMs);
  }

  onSpeechStarted(tsMs: number): void {
    this.#e.speaking = true;
    this.#e.provider = 0;
    this.#startTs = tsMs;
    this.#wordsAtStart = this.#words;
  }

  onSpeechStopped(tsMs: number): void {
    const e = this.#e;
    e.speaking = false;
    this.#stopTs = tsMs;
    this.#speechMs = tsMs - this.#startTs;
    this.#wordsAtStop = this.#words;
    e.pitchFall = 0;
    e.pitchSlope = 0;
    e.pitchHeight = 0;
    e.energyFall = 0;
    e.slowdown = 0;
    e.pitchMin = 0;
    e.speechS = clamp(this.#speechMs / 1000, 0, 3);
    const p = this.#prosody;
    if (p !== undefined) {
      const c = p.cues(tsMs);
      this.lastCues = c;
      if (c.voicedFrames >= MIN_VOICED_FRAMES) {
        e.pitchFall = clamp(c.finalPitchSt, -6, 6);
        e.pitchSlope = clamp(c.pitchSlopeSt, -4, 4);
        e.pitchHeight = clamp(c.aboveFloorSt, 0, 8);
        e.energyFall = clamp(c.finalEnergyDb, -15, 15);
        e.slowdown = clamp(1 - c.rateRatio, -1, 1);
        e.pitchMin = clamp(-c.finalMinPitchSt, -4, 8);
      }
    }
  }

  onTranscript(text: string, isFinal: boolean): void {
    if (isFinal) {
      this.#finals = this.#finals === '' ? text : `${this.#finals} ${text}`;
      this.#partial = '';
    } else {
      this.#partial = text;
    }
    const all = this.#partial === '' ? this.#finals : `${this.#finals} ${this.#partial}`;
    const normalized = normalizeText(all);
    this.#words = normalized === '' ? 0 : normalized.split(' ').length;
    if (this.#useText) {
      this.#e.text = logit(textCompleteness(normalized));
      this.#e.question = QUESTION_START.test(normalized);
    }
  }

  onProviderEndOfTurn(probability: number): void {
    this.#e.provider = clamp(probability, 0, 1);
  }

  reset(): void {
    this.#finals = '';
    this.#partial = '';
    this.#words = 0;
    this.#wordsAtStart = 0;
    const e = this.#e;
    e.text = 0;
    e.pitchFall = 0;
    e.pitchSlope = 0;
    e.pitchHeight = 0;
    e.energyFall = 0;
    e.slowdown = 0;
    e.pitchMin = 0;
    e.speechS = 0;
    e.question = false;
    e.provider = 0;
    this.#prosody?.reset();
  }

  /** The evidence at `nowMs` (a view, valid until the next call). */
  evidence(nowMs: number): Readonly<SemanticEvidence> {
    const e = this.#e;
    // Caught up: words arrived since speech stopped (the STT reached the end of what was
    // said), or the STT's lag has passed without any.
    const caughtUp = this.#words > this.#wordsAtStop || nowMs - this.#stopTs >= this.#lagMs;
    e.provisional = !e.speaking && !caughtUp;
    e.noNewWords =
      !e.speaking &&
      caughtUp &&
      this.#wordsAtStart > 0 &&
      this.#words === this.#wordsAtStart &&
      this.#speechMs < this.#shortMs;
    return e;
  }

  /** Probability that the turn is over at `nowMs`, from the evidence so far (speaking: 0). */
  probability(nowMs: number): number {
    return semanticProbability(this.evidence(nowMs), this.#w);
  }

  estimate(nowMs: number): TurnEstimate {
    const p = this.probability(nowMs);
    this.#est.probability = p;
    this.#est.waitMs = this.#e.speaking
      ? this.#o.bounds.maxDelayMs
      : waitForProbability(p, this.#o.threshold, this.#o.bounds);
    return this.#est;
  }

  close(): void {}
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function logit(p: number): number {
  const q = clamp(p, 1e-3, 1 - 1e-3);
  return Math.log(q / (1 - q));
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
