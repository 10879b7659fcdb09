import { describe, expect, it } from 'vitest';
import type { ScriptedTurn } from './corpus.js';
import { ambiguityFloorMs, setStructure } from './structure.js';

const turn = (id: string, pieces: [string, number][]): ScriptedTurn => ({
  id,
  split: 'tune',
  voice: 'en-us',
  wpm: 160,
  pitch: 50,
  pieces: pieces.map(([text, pauseMs]) => ({ text, pauseMs })),
});

describe('setStructure', () => {
  it('counts falling mid pauses after complete-reading words as ambiguous', () => {
    const corpus = [
      turn('a', [
        ['Send it to my office.', 900],
        ['Actually, send it home.', 0],
      ]),
      turn('b', [
        ['I would like to book a flight to.', 700],
        ['Boston.', 0],
      ]),
      turn('c', [
        ['Could you,', 500],
        ['check my order?', 0],
      ]),
      turn('d', [
        ['The problem is the internet.', 400],
        ['It keeps dropping.', 0],
      ]),
      turn('e', [['Okay.', 0]]),
    ];
    const s = setStructure(corpus, 'tune');
    expect(s).toMatchObject({ turns: 5, fallingMid: 3, ambiguous: 2, questionsWithMidPause: 1 });
    expect(s.ambiguousPausesMs).toEqual([400, 900]);
    // 5 % of 5 turns allows none: both pauses must be outwaited.
    expect(ambiguityFloorMs(s, 0.05)).toBe(900);
    // 20 % allows one cut turn: the shorter pause must still be outwaited.
    expect(ambiguityFloorMs(s, 0.2)).toBe(400);
    expect(ambiguityFloorMs(s, 0.4)).toBe(0);
  });
});
