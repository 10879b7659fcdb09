import { describe, expect, it } from 'vitest';
import { PhraseChunker } from './phrase-chunker.js';

describe('PhraseChunker', () => {
  it('cuts at sentence ends as tokens arrive', () => {
    const c = new PhraseChunker({ minChars: 10 });
    const out: string[] = [];
    for (const tok of ['Hello', ' there.', ' How', ' are', ' you?', ' Fine']) {
      out.push(...c.push(tok));
    }
    // A sentence end is confirmed by the whitespace that follows it ("3.5" stays whole).
    expect(out).toEqual(['Hello there. ', 'How are you? ']);
    expect(c.pending).toBe('Fine');
    expect(c.push(' thanks.')).toEqual([]);
    expect(c.end()).toBe('Fine thanks.');
    expect(c.end()).toBe('');
  });

  it('cuts at a comma only once the phrase is long enough', () => {
    const c = new PhraseChunker({ minChars: 20 });
    expect(c.push('Well, ')).toEqual([]);
    expect(c.push('that is a long clause, and more')).toEqual(['Well, that is a long clause, ']);
  });

  it('cuts an overlong phrase at whitespace', () => {
    const c = new PhraseChunker({ minChars: 5, maxChars: 20 });
    const out = c.push('aaaa bbbb cccc dddd eeee ffff gggg');
    expect(out[0]).toBe('aaaa bbbb cccc dddd ');
    expect(out.join('') + c.end()).toBe('aaaa bbbb cccc dddd eeee ffff gggg');
  });

  it('never loses or reorders text', () => {
    const text = 'One. Two, three four five six seven; eight! Nine? Ten: eleven, twelve.';
    const c = new PhraseChunker({ minChars: 8, maxChars: 30 });
    let got = '';
    for (const ch of text) {
      got += c.push(ch).join('');
    }
    expect(got + c.end()).toBe(text);
  });
});
