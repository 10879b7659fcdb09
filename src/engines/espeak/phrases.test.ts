import { describe, expect, it } from 'vitest';
import { PhraseSplitter } from './phrases.js';

describe('PhraseSplitter', () => {
  it('cuts after clause punctuation followed by whitespace, with exact offsets', () => {
    const s = new PhraseSplitter();
    expect(s.push('Hello there. How are')).toEqual([{ text: 'Hello there. ', start: 0, end: 13 }]);
    expect(s.push(' you, my friend? Fine')).toEqual([
      { text: 'How are you, ', start: 13, end: 26 },
      { text: 'my friend? ', start: 26, end: 37 },
    ]);
    expect(s.end()).toEqual({ text: 'Fine', start: 37, end: 41 });
    expect(s.end()).toBeUndefined();
    expect(s.length).toBe(41);
  });

  it('does not cut inside a word or a number like 3.5', () => {
    const s = new PhraseSplitter({ minChars: 1000 });
    expect(s.push('It costs 3.5 dollars')).toEqual([]);
    expect(s.push('.')).toEqual([]);
    expect(s.push(' Next')).toEqual([{ text: 'It costs 3.5 dollars. ', start: 0, end: 22 }]);
  });

  it('cuts at the last whitespace once minChars is reached, and at maxChars without breaks', () => {
    const s = new PhraseSplitter({ minChars: 10, maxChars: 20 });
    expect(s.push('one two three fou')).toEqual([{ text: 'one two three ', start: 0, end: 14 }]);
    const long = new PhraseSplitter({ minChars: 5, maxChars: 8 });
    expect(long.push('abcdefghijkl')).toEqual([{ text: 'abcdefgh', start: 0, end: 8 }]);
    const words = new PhraseSplitter({ minChars: 5, maxChars: 12 });
    expect(words.push('word '.repeat(6)).map((p) => p.text)).toEqual([
      'word word ',
      'word word ',
      'word word ',
    ]);
  });
});
