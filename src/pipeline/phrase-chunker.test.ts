import { describe, expect, it } from 'vitest';
import { PhraseChunker } from './phrase-chunker.js';

describe('PhraseChunker', () => {
  it('cuts at sentence ends as tokens arrive', () => {
    const c = new PhraseChunker({ minChars: 10 });
    const out: string[] = [];
    for (const tok of ['Hello', ' there.', ' How', ' are', ' you?', ' Fine']) {
      out.push(...c.push(tok));
    }
    // A sentence end after a word is a phrase end at once: no wait for the next token.
    expect(out).toEqual(['Hello there.', ' How are you?']);
    expect(c.pending).toBe(' Fine');
    expect(c.push(' thanks.')).toEqual([' Fine thanks.']);
    expect(c.end()).toBe('');
  });

  it('waits for the next token where the punctuation may be inside a number or an abbreviation', () => {
    const tail = (text: string): string[] => new PhraseChunker({ minChars: 100 }).push(text);
    for (const held of ['It costs 3.', 'at 10:', 'with Dr.', 'as in e.g.', 'the U.S.', 'I']) {
      expect(tail(held)).toEqual([]);
    }
    for (const done of [
      'Yes!',
      'said so.',
      'Note:',
      'a list;',
      'Really?',
      '(done.)',
      'Mrs Smith.',
    ]) {
      expect(tail(done)).toEqual([done]);
    }
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
