import type { RecognizeResponse } from '../../generated/voicerelay/v1/RecognizeResponse.js';

/** Audio messages between two AudioProgress reports (half a second of 20 ms frames). */
export const AUDIO_PROGRESS_EVERY = 25;

/**
 * Counts the audio messages an STT session has taken in and says when to report it, so
 * the relay sees its real write queue (what it sent minus what the engine read) instead
 * of a transport buffer that hides the engine's backlog.
 */
export class AudioProgress {
  #messages = 0;

  /** One audio message read: the report to send now, if one is due. */
  onAudio(): Pick<RecognizeResponse, 'progress'> | undefined {
    this.#messages++;
    return this.#messages % AUDIO_PROGRESS_EVERY === 0
      ? { progress: { audioMessages: this.#messages } }
      : undefined;
  }
}

/** A callback counting one audio message read, which sends the report when one is due. */
export function audioReadCounter(send: (report: Pick<RecognizeResponse, 'progress'>) => void) {
  const progress = new AudioProgress();
  return (): void => {
    const report = progress.onAudio();
    if (report !== undefined) {
      send(report);
    }
  };
}
