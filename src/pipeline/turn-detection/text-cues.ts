import { normalizeText } from '../turn-taking.js';

/**
 * How complete the transcript so far reads as a turn, 0..1, from its last words and a few
 * structures that announce more to come. Cheap: runs once per transcript update, not per
 * frame. English word lists; other languages get the neutral 0.5 for unknown endings.
 */

const CONJUNCTIONS = wordSet(
  'and or but so because cause then if that which who whose when while although though since unless until as whether where nor plus also',
);
const PREPOSITIONS = wordSet(
  'to for of in on at with from by about into onto than after before between through during without under over around near via per towards toward across against like',
);
const DETERMINERS = wordSet(
  'the a an my your our their his her its this these those some any every each another few several',
);
const FILLERS = wordSet('um uh er erm uhm hmm ah eh well basically');
/** Words that need a complement: subject pronouns, auxiliaries, verbs of wanting. */
const OPENERS = wordSet(
  "i we you they he she is are was were be been am will would can could should shall may might must have has had do does did i'm it's i'd i'll we're you're that's want need going gonna wanna like get make give tell show send book find let not don't can't just very really maybe about what which how why where when who something kind sort",
);
/** Two-word endings that still announce more ("tell me", "you know", "I mean"). */
const OPEN_PAIRS = new Set(
  'tell me,show me,give me,send me,let me,help me,remind me,you know,i mean,i think,i guess,i want,i need,kind of,sort of,such as,as well,and then,or maybe,like a,more than,rather than,how about,what about,number is,code is,address is,name is,is the'.split(
    ',',
  ),
);
/** Endings that look open word by word but close a sentence ("I think so", "that's all"). */
const CLOSING_PAIRS = new Set(
  "think so,hope so,guess so,said so,like that,about that,that's it,that's all,for that,with that,do that,of that,after that,all that,at all,for now,by then".split(
    ',',
  ),
);
/** Announce a list or a sequence ("first", "two things"), closed by these. */
const LIST_OPENERS =
  /\b(first|firstly|two things|three things|a few things|couple of things|following)\b/;
const LIST_CLOSERS = /\b(second|secondly|third|finally|lastly|last|and then|and also|also)\b/;
const DIGITS = wordSet('zero oh one two three four five six seven eight nine');
const NUMBER_WORDS = new Set([
  ...DIGITS,
  ...wordSet(
    'ten eleven twelve twenty thirty forty fifty sixty seventy eighty ninety hundred thousand double triple',
  ),
]);
/** Lead-ins of something dictated: a number, an address, a spelled name. */
const DICTATION = /\b(number|code|zip|postcode|pin|account|card|phone|digits|spell|extension|id)\b/;
export const QUESTION_START =
  /^(what|which|how|why|where|when|who|can|could|would|will|do|does|is|are|should)\b/;

/** A set from space-separated words. */
function wordSet(words: string): ReadonlySet<string> {
  return new Set(words.split(' '));
}

function isNumberToken(w: string): boolean {
  return /^\d+$/.test(w) || NUMBER_WORDS.has(w);
}

/** Digits dictated so far after a dictation lead-in (0 when no dictation is in progress). */
function dictatedDigits(words: readonly string[]): number {
  let n = 0;
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i] ?? '';
    if (/^\d+$/.test(w)) {
      n += w.length;
    } else if (NUMBER_WORDS.has(w)) {
      n += 1;
    } else {
      break;
    }
  }
  return n;
}

/** Digit counts that complete what is being dictated (ZIP, PIN, phone, card…). */
function expectedDigits(text: string): readonly number[] {
  if (/\bphone\b/.test(text)) {
    return [10, 11];
  }
  if (/\b(zip|postcode)\b/.test(text)) {
    return [5];
  }
  if (/\bcard\b/.test(text)) {
    return /\b(ends?|last)\b/.test(text) ? [4] : [16];
  }
  if (/\bpin\b/.test(text)) {
    return [4, 6];
  }
  return [6, 8, 10];
}

/** Why the transcript reads as it does (the evaluation breaks false cut-offs down by it). */
export type TextCue =
  | 'empty'
  | 'filler'
  | 'closing pair'
  | 'conjunction'
  | 'preposition'
  | 'determiner'
  | 'open pair'
  | 'dictation'
  | 'opener'
  | 'open list'
  | 'short answer'
  | 'question'
  | 'statement';

/** Completeness of each cue, 0..1 (dictation depends on the digits, see `textCue`). */
const COMPLETENESS: Record<Exclude<TextCue, 'dictation'>, number> = {
  empty: 0.5,
  filler: 0.04,
  'closing pair': 0.8,
  conjunction: 0.05,
  preposition: 0.05,
  determiner: 0.05,
  'open pair': 0.1,
  opener: 0.15,
  'open list': 0.25,
  'short answer': 0.8,
  question: 0.75,
  statement: 0.7,
};

export function textCompleteness(raw: string): number {
  return textCue(raw).completeness;
}

/** The cue the transcript's ending gives, and how complete it reads, 0..1. */
export function textCue(raw: string): { cue: TextCue; completeness: number } {
  const text = normalizeText(raw);
  const cue = (c: Exclude<TextCue, 'dictation'>): { cue: TextCue; completeness: number } => ({
    cue: c,
    completeness: COMPLETENESS[c],
  });
  if (text === '') {
    return cue('empty');
  }
  const words = text.split(' ');
  const last = words[words.length - 1] ?? '';
  const pair = words.length >= 2 ? `${words[words.length - 2] ?? ''} ${last}` : '';
  if (FILLERS.has(last)) {
    return cue('filler');
  }
  if (CLOSING_PAIRS.has(pair) || (pair === 'is that' && QUESTION_START.test(text))) {
    return cue('closing pair'); // "is that" closes "what is that", not "the problem is that"
  }
  if (CONJUNCTIONS.has(last)) {
    return cue('conjunction');
  }
  if (PREPOSITIONS.has(last)) {
    return cue('preposition');
  }
  if (DETERMINERS.has(last)) {
    return cue('determiner');
  }
  if (OPEN_PAIRS.has(pair)) {
    return cue('open pair');
  }
  if (isNumberToken(last) && DICTATION.test(text)) {
    const n = dictatedDigits(words);
    const expected = expectedDigits(text);
    const completeness = expected.includes(n) ? 0.6 : n > Math.max(...expected) ? 0.5 : 0.15;
    return { cue: 'dictation', completeness };
  }
  if (OPENERS.has(last)) {
    return words.length === 1 ? { cue: 'opener', completeness: 0.45 } : cue('opener');
  }
  if (LIST_OPENERS.test(text) && !LIST_CLOSERS.test(text)) {
    return cue('open list');
  }
  if (words.length <= 2) {
    return cue('short answer'); // "yes", "no thanks", "Boston"
  }
  // A question or statement that reached a content word: probably complete.
  return QUESTION_START.test(text) ? cue('question') : cue('statement');
}
