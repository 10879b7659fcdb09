import { performance } from 'node:perf_hooks';
import { SemanticDetector } from '../../pipeline/turn-detection/semantic.js';
import { SYNTH_RATE_HZ } from './synth.js';

export interface DetectorCost {
  /** Mean µs of `onAudio` per 20 ms frame (prosody: level, pitch). */
  perFrameUs: number;
  /** Mean µs per decision: one `estimate` while silent, at every 20 ms tick of a pause. */
  perDecisionUs: number;
  /** Mean µs per transcript update (text cues). */
  perTranscriptUs: number;
  /** Mean µs at each speech stop (the prosodic cues of the stretch that ended). */
  perStopUs: number;
}

const FRAME_BYTES = (SYNTH_RATE_HZ / 1000) * 20 * 2;

/**
 * What the semantic detector costs on this machine, on real synthesized speech: every
 * frame of `audio` pushed `rounds` times, a transcript update every 10 frames and a
 * decision at every frame after each speech stop. Wall-clock, so a busy machine inflates it.
 */
export function measureCost(audio: readonly Buffer[], rounds = 20): DetectorCost {
  const d = new SemanticDetector({
    bounds: { minDelayMs: 0, maxDelayMs: 3000 },
    threshold: 0.5,
    sampleRateHz: SYNTH_RATE_HZ,
  });
  const words = 'I would like to book a flight to Boston on Friday morning'.split(' ');
  let frames = 0;
  let frameNs = 0;
  let decisions = 0;
  let decisionNs = 0;
  let updates = 0;
  let updateNs = 0;
  let stops = 0;
  let stopNs = 0;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    let ts = 0;
    for (const pcm of audio) {
      d.onSpeechStarted(ts);
      for (let off = 0; off + FRAME_BYTES <= pcm.length; off += FRAME_BYTES) {
        const frame = pcm.subarray(off, off + FRAME_BYTES);
        let t0 = performance.now();
        d.onAudio(frame, ts, 20);
        frameNs += (performance.now() - t0) * 1e6;
        frames++;
        ts += 20;
        if (frames % 10 === 0) {
          const text = words.slice(0, 1 + ((frames / 10) % words.length)).join(' ');
          t0 = performance.now();
          d.onTranscript(text, false);
          updateNs += (performance.now() - t0) * 1e6;
          updates++;
        }
      }
      const t1 = performance.now();
      d.onSpeechStopped(ts);
      stopNs += (performance.now() - t1) * 1e6;
      stops++;
      for (let k = 1; k <= 50; k++) {
        const t0 = performance.now();
        sink += d.estimate(ts + k * 20).waitMs;
        decisionNs += (performance.now() - t0) * 1e6;
        decisions++;
      }
      ts += 1000;
    }
    d.reset();
  }
  if (sink < 0) {
    throw new Error('unreachable');
  }
  return {
    perFrameUs: frameNs / Math.max(1, frames) / 1000,
    perDecisionUs: decisionNs / Math.max(1, decisions) / 1000,
    perTranscriptUs: updateNs / Math.max(1, updates) / 1000,
    perStopUs: stopNs / Math.max(1, stops) / 1000,
  };
}
