import { describe, expect, it } from 'vitest';
import { silence, synthVoice } from '../pcm.js';
import { EnergyVad, type VadEvent } from './energy-vad.js';

const RATE = 16000;

function run(vad: EnergyVad, parts: [boolean, number][]): VadEvent[] {
  const events: VadEvent[] = [];
  let t = 1000;
  const voiced = synthVoice(20, RATE);
  const quiet = silence(20, RATE);
  for (const [v, ms] of parts) {
    for (let i = 0; i < ms / 20; i++) {
      const ev = vad.push(v ? voiced : quiet, t, 20);
      if (ev) {
        events.push(ev);
      }
      t += 20;
    }
  }
  return events;
}

describe('EnergyVad', () => {
  it('reports speech start at the first voiced frame and end at the last voiced frame', () => {
    const events = run(new EnergyVad({ minSpeechMs: 60, minSilenceMs: 200 }), [
      [false, 100],
      [true, 400],
      [false, 300],
    ]);
    expect(events).toEqual([
      { type: 'speech.started', tsMs: 1100 },
      { type: 'speech.stopped', tsMs: 1500 },
    ]);
  });

  it('ignores a burst shorter than the minimum speech and a pause shorter than the minimum silence', () => {
    const events = run(new EnergyVad({ minSpeechMs: 100, minSilenceMs: 200 }), [
      [true, 60],
      [false, 100],
      [true, 300],
      [false, 100],
      [true, 200],
      [false, 400],
    ]);
    expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
    expect(events[0]?.tsMs).toBe(1160);
    expect(events[1]?.tsMs).toBe(1000 + 60 + 100 + 300 + 100 + 200);
  });
});
