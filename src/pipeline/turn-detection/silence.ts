import type { DetectorName, TurnDetector, TurnEstimate } from './detector.js';

/**
 * The relay's original rule: the STT's endpointer (its trailing-silence setting) ends the
 * utterance, and the turn ends once its final is in, the caller is silent and `minDelayMs`
 * have passed since speech end. The estimate never depends on what was said.
 */
export class SilenceDetector implements TurnDetector {
  readonly name: DetectorName = 'silence';
  readonly endsBeforeFinal = false;
  readonly #estimate: { speaking: TurnEstimate; silent: TurnEstimate };
  #speaking = false;

  constructor(minDelayMs: number) {
    this.#estimate = {
      speaking: { probability: 0, waitMs: minDelayMs },
      silent: { probability: 1, waitMs: minDelayMs },
    };
  }

  onAudio(): void {}

  onSpeechStarted(): void {
    this.#speaking = true;
  }

  onSpeechStopped(): void {
    this.#speaking = false;
  }

  onTranscript(): void {}

  onProviderEndOfTurn(): void {}

  reset(): void {}

  estimate(): TurnEstimate {
    return this.#speaking ? this.#estimate.speaking : this.#estimate.silent;
  }

  close(): void {}
}
