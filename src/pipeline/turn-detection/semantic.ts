import {
  waitForProbability,
  type DetectorName,
  type EndpointingBounds,
  type TurnDetector,
  type TurnEstimate,
} from './detector.js';
import { ProsodyTracker, type ProsodyCues } from './prosody.js';
import { textCompleteness } from './text-cues.js';

/** Weights of the evidence, in logits (tuned on the evaluation's tuning split only). */
export interface SemanticWeights {
  bias: number;
  /** Times the logit of the transcript's completeness. */
  text: number;
  /** Per semitone the last ~200 ms sit below the utterance's pitch. */
  pitchFall: number;
  /** Per semitone per 100 ms of falling pitch slope at the end. */
  pitchSlope: number;
  /** Per dB the last ~200 ms sit below the utterance's level. */
  energyFall: number;
  /** Per unit of slowing down at the end (1 − recent rate / utterance rate). */
  slowdown: number;
}

export const DEFAULT_SEMANTIC_WEIGHTS: SemanticWeights = {
  bias: -0.4,
  text: 1.5,
  pitchFall: 0.05,
  pitchSlope: 0.25,
  energyFall: 0.02,
  slowdown: 0,
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
}

const MIN_VOICED_FRAMES = 8;

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
  #finals = '';
  #partial = '';
  #speaking = false;
  #textLogit = 0;
  #prosodyLogit = 0;
  #provider = 0;
  #dirty = true;
  readonly #est: TurnEstimate = { probability: 0, waitMs: 0 };
  /** The cues read at the last speech end (for tests and debugging). */
  lastCues: ProsodyCues | undefined;

  constructor(o: SemanticOptions) {
    this.#o = o;
    this.#w = { ...DEFAULT_SEMANTIC_WEIGHTS, ...o.weights };
    this.#useText = o.text ?? true;
    this.#prosody =
      (o.prosody ?? true)
        ? new ProsodyTracker({ sampleRateHz: o.sampleRateHz, voicedDbfs: o.voicedDbfs ?? -40 })
        : undefined;
  }

  onAudio(pcm: Buffer, captureTsMs: number, durationMs: number): void {
    this.#prosody?.push(pcm, captureTsMs, durationMs);
  }

  onSpeechStarted(): void {
    this.#speaking = true;
    this.#provider = 0;
    this.#dirty = true;
  }

  onSpeechStopped(tsMs: number): void {
    this.#speaking = false;
    this.#prosodyLogit = 0;
    const p = this.#prosody;
    if (p !== undefined) {
      const c = p.cues(tsMs);
      this.lastCues = c;
      if (c.voicedFrames >= MIN_VOICED_FRAMES) {
        const w = this.#w;
        this.#prosodyLogit =
          -w.pitchFall * clamp(c.finalPitchSt, -6, 6) -
          w.pitchSlope * clamp(c.pitchSlopeSt, -4, 4) -
          w.energyFall * clamp(c.finalEnergyDb, -15, 15) +
          w.slowdown * clamp(1 - c.rateRatio, -1, 1);
      }
    }
    this.#dirty = true;
  }

  onTranscript(text: string, isFinal: boolean): void {
    if (isFinal) {
      this.#finals = this.#finals === '' ? text : `${this.#finals} ${text}`;
      this.#partial = '';
    } else {
      this.#partial = text;
    }
    if (this.#useText) {
      const all = this.#partial === '' ? this.#finals : `${this.#finals} ${this.#partial}`;
      this.#textLogit = logit(textCompleteness(all));
    }
    this.#dirty = true;
  }

  onProviderEndOfTurn(probability: number): void {
    this.#provider = clamp(probability, 0, 1);
    this.#dirty = true;
  }

  reset(): void {
    this.#finals = '';
    this.#partial = '';
    this.#textLogit = 0;
    this.#prosodyLogit = 0;
    this.#provider = 0;
    this.#prosody?.reset();
    this.#dirty = true;
  }

  /** Probability that the turn is over, from the evidence so far (speaking: 0). */
  probability(): number {
    if (this.#speaking) {
      return 0;
    }
    const w = this.#w;
    const p = sigmoid(w.bias + w.text * this.#textLogit + this.#prosodyLogit);
    return Math.max(p, this.#provider);
  }

  estimate(): TurnEstimate {
    if (this.#dirty) {
      const p = this.probability();
      this.#est.probability = p;
      this.#est.waitMs = this.#speaking
        ? this.#o.bounds.maxDelayMs
        : waitForProbability(p, this.#o.threshold, this.#o.bounds);
      this.#dirty = false;
    }
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
