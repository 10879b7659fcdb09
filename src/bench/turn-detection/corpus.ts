import { mulberry32 } from '../../media/jitter/traces.js';

/**
 * The scripted turns of the end-of-turn evaluation. Each line is one caller turn; " | "
 * marks a hesitation point where a speaker may pause (300–1,500 ms) and may say a filler.
 * A segment's own punctuation is kept; a hesitation point without any is voiced as a
 * continuation (",") most of the time, sometimes as a falling statement.
 *
 * Two fixed lists: TUNE is the only one looked at while choosing the semantic detector's
 * weights and word lists; HELD_OUT never is. The seed only draws voices, rates, pauses and
 * fillers, so the split stays the same for every seed.
 */
export const TUNE: readonly string[] = [
  'I would like to book a flight to | Boston | on Friday morning.',
  'Can you tell me | what time the pharmacy closes today?',
  'My phone number is five five five | two one nine | four four three eight.',
  'I need two things. | First, cancel my order, | and | second, send me a refund.',
  'Yes please.',
  'No, that is all.',
  'I was thinking about | maybe | getting the blue one instead.',
  'The problem is that | the internet keeps dropping | every evening.',
  'Could you | move my appointment to | next Tuesday?',
  'I want a large pizza with | mushrooms, | olives | and extra cheese.',
  'My account number is | four seven one | nine nine two.',
  'What is the weather like tomorrow?',
  'I called yesterday because | my bill was higher than | usual.',
  'Send it to my office. | Actually, | send it to my home address.',
  'We are four adults and | two children.',
  'Okay.',
  'I am not sure if | I can make it on Monday, | so | maybe Wednesday.',
  'The zip code is | nine four one | zero three.',
  'Book a table for | two | at seven thirty.',
  'Can I pay with | a credit card or | only cash?',
  'Please cancel it.',
  'It started making a noise when | I turned it on | this morning.',
  'I would like to speak to | someone about | my insurance claim.',
  'Tell me | the balance of my savings account.',
];

export const HELD_OUT: readonly string[] = [
  'I need a taxi to | the airport | at six in the morning.',
  'Do you have | any rooms available for | this weekend?',
  'Thank you, that is perfect.',
  'My name is | Sarah | Johnson.',
  'The card number ends in | three | eight | one.',
  'I ordered a laptop last week and | it still has not | arrived.',
  'Could you | check whether | my package was delivered?',
  'I would like the chicken | with rice | and a small salad.',
  'Where is the nearest | train station?',
  'Sure.',
  'I think | the meeting should start at | ten instead of nine.',
  'We need to change the reservation because | my flight was delayed.',
  'Can you remind me to | call my mother | tomorrow?',
  'The address is | twelve Baker Street | in London.',
  'I lost my card. | Can you block it?',
  'It is for | my daughter, | she is | seven years old.',
];

export type Split = 'tune' | 'held-out';

export interface ScriptedTurn {
  id: string;
  split: Split;
  voice: string;
  /** espeak-ng words per minute. */
  wpm: number;
  /** espeak-ng pitch 0..99. */
  pitch: number;
  /** Spoken pieces in order, each followed by a pause (the last by the final pause). */
  pieces: { text: string; pauseMs: number }[];
}

const VOICES = ['en-us', 'en-gb', 'en-gb-scotland', 'en-029', 'en-gb-x-rp', 'en-us+f3', 'en+m3'];
const FILLERS = ['um', 'uh', 'um', 'so'];

/** The seeded PRNG of the set (mulberry32). */
export const rng = mulberry32;

/** `variants` renditions of every scripted turn, drawn from `seed`. */
export function buildCorpus(seed: number, variants: number): ScriptedTurn[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const out: ScriptedTurn[] = [];
  const lists: [Split, readonly string[]][] = [
    ['tune', TUNE],
    ['held-out', HELD_OUT],
  ];
  for (const [split, lines] of lists) {
    lines.forEach((line, li) => {
      for (let v = 0; v < variants; v++) {
        const parts = line.split(' | ');
        const pieces: ScriptedTurn['pieces'] = [];
        let text = '';
        parts.forEach((part, pi) => {
          text = text === '' ? part : `${text} ${part}`;
          const last = pi === parts.length - 1;
          // A hesitation point becomes a pause 70 % of the time, else it is spoken through.
          if (!last && r() >= 0.7) {
            return;
          }
          const pauseMs = last ? 0 : Math.round(300 + r() * 1200);
          const punct = /[.,?!]$/.test(text) || last ? '' : r() < 0.75 ? ',' : '.';
          pieces.push({ text: text + punct, pauseMs });
          text = '';
          if (!last && r() < 0.3) {
            // "um" after the pause, then another pause before going on.
            const filler = pick(FILLERS);
            pieces.push({ text: `${filler},`, pauseMs: Math.round(300 + r() * 900) });
          }
        });
        out.push({
          id: `${split === 'tune' ? 't' : 'h'}${li}.${v}`,
          split,
          voice: pick(VOICES),
          wpm: Math.round(135 + r() * 55),
          pitch: Math.round(35 + r() * 30),
          pieces,
        });
      }
    });
  }
  return out;
}
