/**
 * Frames are the unit of audio inside the relay: PCM16 little-endian mono at the
 * pipeline's sample rate, 20 ms each. Codecs and resampling live at the edges.
 */
export const FRAME_MS = 20;

export interface AudioFrame {
  /** Sequence number, u32, wraps. */
  readonly seq: number;
  /** Capture time of the first sample, epoch ms in the relay's clock. */
  readonly captureTsMs: number;
  /** When the frame reached the relay, epoch ms. */
  readonly arrivalTsMs: number;
  /** PCM16LE samples. A view: never retained past the frame's life by producers. */
  readonly payload: Buffer;
  /** True when the jitter buffer made this frame up to cover a loss. */
  readonly concealed: boolean;
}

/** One 20 ms frame of reply audio paced out to the client. */
export interface OutputFrame {
  readonly turnId: string;
  /** Output sequence number within the session (u32, wraps). */
  readonly seq: number;
  /** PCM16LE at the pipeline rate; the last frame of a turn may be shorter. */
  readonly payload: Buffer;
  /** Audio position of the frame's end within its turn, in ms. */
  readonly turnAudioEndMs: number;
  /** Once this frame has been played, the reply text before this offset has been heard. */
  readonly textEnd: number;
  /** Relay clock when the frame was handed to the transport. Set by the pacer. */
  sentTsMs: number;
  /** Relay clock at which the client is due to start playing it (paced playout clock). */
  playAtMs: number;
}

export function samplesPerFrame(sampleRateHz: number): number {
  return (sampleRateHz * FRAME_MS) / 1000;
}

export function bytesPerFrame(sampleRateHz: number): number {
  return samplesPerFrame(sampleRateHz) * 2;
}

/** Duration in ms of a PCM16 buffer at a sample rate. */
export function pcmDurationMs(bytes: number, sampleRateHz: number): number {
  return (bytes / 2 / sampleRateHz) * 1000;
}
