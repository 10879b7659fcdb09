import { describe, expect, it } from 'vitest';
import { ConversationHistory } from './history.js';

describe('ConversationHistory', () => {
  it('keeps the system prompt and the most recent messages', () => {
    const h = new ConversationHistory('sys', 3);
    h.add('user', 'a');
    h.add('assistant', 'b');
    h.add('user', 'c');
    h.add('assistant', 'd');
    h.add('user', '');
    expect(h.forRequest()).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
      { role: 'assistant', content: 'd' },
    ]);
  });
});
