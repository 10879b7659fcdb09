import { describe, expect, it } from 'vitest';
import { TtsTimeline } from './tts-timeline.js';

describe('TtsTimeline', () => {
  it('maps text offsets to samples (msPerChar per UTF-16 code unit)', () => {
    const t = new TtsTimeline(16000, 60);
    expect(t.samplesAt(0)).toBe(0);
    expect(t.samplesAt(1)).toBe(960);
    expect(t.samplesAt(10)).toBe(9600);
    const odd = new TtsTimeline(22050, 65);
    expect(odd.samplesAt(3)).toBe(Math.round((3 * 65 * 22050) / 1000));
  });

  it('produces audio only up to the last confirmed word boundary', () => {
    const t = new TtsTimeline(16000, 60);
    t.append('Hello wor');
    expect(t.producibleOffset()).toBe(6);
    t.append('ld');
    expect(t.producibleOffset()).toBe(6);
    t.append(' ');
    expect(t.producibleOffset()).toBe(12);
    t.append('again');
    expect(t.producibleOffset()).toBe(12);
    t.markComplete();
    expect(t.producibleOffset()).toBe(17);
    expect(t.isComplete(17)).toBe(true);
  });

  it('treats word ends and completion points as boundaries', () => {
    const t = new TtsTimeline(16000, 60);
    t.append('Hi  there');
    expect([0, 1, 2, 3, 4, 9].map((e) => t.isBoundary(e))).toEqual([
      true,
      false,
      true,
      false,
      false,
      false,
    ]);
    t.markComplete();
    expect(t.isBoundary(9)).toBe(true);
  });

  it('ends a span on the chunk holding the last sample of a word', () => {
    const t = new TtsTimeline(16000, 60);
    t.append('Hello world');
    t.markComplete();
    // "Hello" ends at sample 4800: a chunk ending at 4799 does not complete it.
    expect(t.spanEnd(0, 11, 4799)).toBe(0);
    expect(t.spanEnd(0, 11, 4800)).toBe(5);
    expect(t.spanEnd(5, 11, 9600)).toBe(5);
    expect(t.spanEnd(5, 11, 10560)).toBe(11);
  });

  it('splits samples into voiced and silent (whitespace) runs', () => {
    const t = new TtsTimeline(16000, 60);
    t.append('ab cd');
    expect(t.segments(0, 4800)).toEqual([
      { start: 0, end: 1920, silent: false },
      { start: 1920, end: 2880, silent: true },
      { start: 2880, end: 4800, silent: false },
    ]);
    expect(t.segments(2000, 3000)).toEqual([
      { start: 2000, end: 2880, silent: true },
      { start: 2880, end: 3000, silent: false },
    ]);
  });
});
