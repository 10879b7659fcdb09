/**
 * What the offline reply engine understands, as one structure: the JSGF grammar the
 * `default` pipeline gives pocketsphinx (so recognition is exact for these phrases) and
 * the examples the CLI and the demo page suggest are both derived from it.
 */
export type Expansion = string | { alt: Expansion[] } | { opt: Expansion } | Expansion[];

const alt = (...a: Expansion[]): Expansion => ({ alt: a });
const opt = (e: Expansion): Expansion => ({ opt: e });

const UNITS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** Named rules (`<number>`), then the public utterance rule. */
export const RULES: Readonly<Record<string, Expansion>> = {
  number: alt('zero', ...UNITS, ...TEENS, [alt(...TENS), opt(alt(...UNITS))]),
  greeting: alt(
    [alt('hello', 'hi', 'hey'), opt('there')],
    ['good', alt('morning', 'afternoon', 'evening')],
  ),
  how: [opt('<greeting>'), 'how are you', opt('doing'), opt('today')],
  time: alt('what time is it', 'what is the time'),
  date: alt('what is the date', ['what day is it', opt('today')], 'what is todays date'),
  weather: alt(['what is the weather', opt('like'), opt('today')], 'is it raining'),
  math: ['what is <number>', alt('plus', 'minus', 'times', 'divided by'), '<number>'],
  /** The reply engine counts from one, up to twenty. */
  upto: alt(...UNITS, ...TEENS, 'twenty'),
  count: 'count to <upto>',
  identity: alt('who are you', 'what is your name'),
  help: alt('help', 'what can you do'),
  joke: 'tell me a joke',
  thanks: alt(['thank you', opt('very much')], 'thanks'),
  bye: alt('goodbye', 'bye', 'see you later'),
};

export const UTTERANCE: Expansion = alt(
  '<greeting>',
  '<how>',
  '<time>',
  '<date>',
  '<weather>',
  '<math>',
  '<count>',
  '<identity>',
  '<help>',
  '<joke>',
  '<thanks>',
  '<bye>',
);

/** Things to say, shown by the CLI and the demo page (each is in the grammar). */
export const SAY_EXAMPLES: readonly string[] = [
  'hello',
  'how are you',
  'what time is it',
  'what is two plus three',
  'count to five',
  'tell me a joke',
  'goodbye',
];

function toJsgf(e: Expansion, top = true): string {
  if (typeof e === 'string') {
    return e;
  }
  if (Array.isArray(e)) {
    return e.map((x) => toJsgf(x, false)).join(' ');
  }
  if ('opt' in e) {
    return `[${toJsgf(e.opt, true)}]`;
  }
  const body = e.alt.map((x) => toJsgf(x, false)).join(' | ');
  return top ? body : `(${body})`;
}

/** The JSGF grammar for pocketsphinx (`stages.stt.grammar` of the default pipeline). */
export function replyGrammar(): string {
  const rules = Object.entries(RULES).map(([name, e]) => `<${name}> = ${toJsgf(e)};`);
  return [
    '#JSGF V1.0;',
    'grammar relaydemo;',
    ...rules,
    `public <utterance> = ${toJsgf(UTTERANCE)};`,
    '',
  ].join('\n');
}

/** One random sentence of the grammar (`rnd` in [0, 1)), for tests. */
export function expand(e: Expansion, rnd: () => number): string {
  if (typeof e === 'string') {
    return e.replace(/<(\w+)>/g, (_, name: string) => {
      const rule = RULES[name];
      return rule === undefined ? '' : expand(rule, rnd);
    });
  }
  if (Array.isArray(e)) {
    return e
      .map((x) => expand(x, rnd))
      .filter((s) => s !== '')
      .join(' ');
  }
  if ('opt' in e) {
    return rnd() < 0.5 ? expand(e.opt, rnd) : '';
  }
  const pick = e.alt[Math.floor(rnd() * e.alt.length)];
  return pick === undefined ? '' : expand(pick, rnd);
}
