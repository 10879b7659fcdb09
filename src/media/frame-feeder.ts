import { FRAME_MS, bytesPerFrame, type AudioFrame } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import type { Ticker } from '../core/ticker.js';

export interface FeedOptions {
  sampleRateHz: number;
  ticker: Ticker;
  onFrame(frame: AudioFrame): void;
  signal?: AbortSignal;
  /** First sequence number (default 0). */
  firstSeq?: number;
}

/**
 * Feed PCM16 audio as 20 ms frames in real time from the shared ticker, the way a
 * microphone would: frame k is captured at start + 20·k ms and delivered once that
 * time has passed. Resolves after the last frame.
 */
export function feedRealtime(pcm: Buffer, options: FeedOptions): Promise<void> {
  const fb = bytesPerFrame(options.sampleRateHz);
  const total = Math.ceil(pcm.length / fb);
  const startMs = nowMs();
  let k = 0;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      unsubscribe();
      reject(
        options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'),
      );
    };
    const tick = (): void => {
      const now = nowMs();
      while (k < total && startMs + (k + 1) * FRAME_MS <= now) {
        let payload = pcm.subarray(k * fb, (k + 1) * fb);
        if (payload.length < fb) {
          const padded = Buffer.alloc(fb);
          payload.copy(padded);
          payload = padded;
        }
        options.onFrame({
          seq: ((options.firstSeq ?? 0) + k) >>> 0,
          captureTsMs: startMs + k * FRAME_MS,
          arrivalTsMs: now,
          payload,
          concealed: false,
        });
        k++;
      }
      if (k >= total) {
        unsubscribe();
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }
    };
    const unsubscribe = options.ticker.subscribe(tick);
    if (options.signal?.aborted === true) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
