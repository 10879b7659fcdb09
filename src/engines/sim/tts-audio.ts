import { synthVoice } from '../../media/pcm.js';
import type { TtsTimeline } from './tts-timeline.js';

/**
 * One second of the deterministic voice signal per sample rate, looped. The
 * signal's pitch and syllable modulation are whole-hertz, so the loop is
 * seamless and any stretch of audio is a cheap copy (no per-sample maths).
 */
const loops = new Map<number, Buffer>();

function voiceLoop(sampleRateHz: number): Buffer {
  let loop = loops.get(sampleRateHz);
  if (loop === undefined) {
    loop = synthVoice(1000, sampleRateHz);
    loops.set(sampleRateHz, loop);
  }
  return loop;
}

/** PCM16LE audio of samples [fromSample, toSample) of a timeline: voice, silence for whitespace. */
export function renderPcm(timeline: TtsTimeline, fromSample: number, toSample: number): Buffer {
  const out = Buffer.alloc((toSample - fromSample) * 2);
  const loop = voiceLoop(timeline.sampleRateHz);
  const loopSamples = loop.length >> 1;
  for (const seg of timeline.segments(fromSample, toSample)) {
    if (seg.silent) {
      continue;
    }
    let s = seg.start;
    while (s < seg.end) {
      const at = s % loopSamples;
      const n = Math.min(seg.end - s, loopSamples - at);
      loop.copy(out, (s - fromSample) * 2, at * 2, (at + n) * 2);
      s += n;
    }
  }
  return out;
}
