/**
 * Deterministic rule-based replies for the offline demo: a few intents
 * (greeting, how are you, time, date, weather, arithmetic, counting, identity,
 * help, joke, thanks, goodbye) and an echo fallback. Input is what an STT
 * produced, so numbers may come as words ("what is two plus three").
 */
export interface ReplyContext {
  now: Date;
  /** IANA time zone for time/date answers (default: the process's). */
  timeZone?: string | undefined;
}

export interface Reply {
  intent: string;
  text: string;
}

const UNITS: Readonly<Record<string, number>> = {
  zero: 0,
  oh: 0,
  one: 1,
  a: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Readonly<Record<string, number>> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const OPERATORS: readonly [string[], string, (a: number, b: number) => number][] = [
  [['plus', 'and', 'add'], 'plus', (a, b) => a + b],
  [['minus', 'less'], 'minus', (a, b) => a - b],
  [['times', 'multiplied', 'x'], 'times', (a, b) => a * b],
  [['divided', 'over'], 'divided by', (a, b) => a / b],
];
const FILLER = new Set([
  'what',
  'is',
  'whats',
  'how',
  'much',
  'calculate',
  'compute',
  'tell',
  'me',
  'please',
  'can',
  'you',
  'the',
  'answer',
  'to',
  'of',
]);
const MAX_COUNT = 20;

/** Lower case, punctuation dropped (digits, decimal points and apostrophes kept), spaces collapsed. */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’']/g, '')
    .replace(/[^a-z0-9.\s-]/g, ' ')
    .replace(/(?<!\d)\.|\.(?!\d)/g, ' ')
    .replace(/-/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A number from digits ("12", "3.5") or English words ("one hundred and five"); undefined otherwise. */
export function parseNumber(words: readonly string[]): number | undefined {
  if (words.length === 0) {
    return undefined;
  }
  if (words.length === 1 && /^\d+(\.\d+)?$/.test(words[0] ?? '')) {
    return Number(words[0]);
  }
  let total = 0;
  let current = 0;
  let seen = false;
  for (const w of words) {
    if (w === 'and' && seen) {
      continue;
    }
    if (UNITS[w] !== undefined) {
      current += UNITS[w];
    } else if (TENS[w] !== undefined) {
      current += TENS[w];
    } else if (w === 'hundred') {
      current = (current === 0 ? 1 : current) * 100;
    } else if (w === 'thousand') {
      total += (current === 0 ? 1 : current) * 1000;
      current = 0;
    } else {
      return undefined;
    }
    seen = true;
  }
  return total + current;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2)));
}

function arithmetic(words: string[]): Reply | undefined {
  for (let i = 1; i < words.length - 1; i++) {
    const op = OPERATORS.find(([names]) => names.includes(words[i] ?? ''));
    if (op === undefined) {
      continue;
    }
    let left = words.slice(0, i);
    while (left.length > 0 && FILLER.has(left[0] ?? '')) {
      left = left.slice(1);
    }
    let right = words.slice(words[i] === 'divided' || words[i] === 'multiplied' ? i + 2 : i + 1);
    while (right.length > 0 && ['equals', 'equal', 'is'].includes(right[right.length - 1] ?? '')) {
      right = right.slice(0, -1);
    }
    const a = parseNumber(left);
    const b = parseNumber(right);
    if (a === undefined || b === undefined) {
      continue;
    }
    const [, name, fn] = op;
    if (name === 'divided by' && b === 0) {
      return { intent: 'arithmetic', text: "I can't divide by zero." };
    }
    const result = fn(a, b);
    return {
      intent: 'arithmetic',
      text: `${formatNumber(a)} ${name} ${formatNumber(b)} is ${formatNumber(result)}.`,
    };
  }
  return undefined;
}

function counting(words: string[]): Reply | undefined {
  const at = words.indexOf('count');
  if (at < 0 || words[at + 1] !== 'to') {
    return undefined;
  }
  const n = parseNumber(words.slice(at + 2));
  if (n === undefined || !Number.isInteger(n) || n < 1) {
    return undefined;
  }
  const upTo = Math.min(n, MAX_COUNT);
  const numbers = Array.from({ length: upTo }, (_, i) => String(i + 1)).join(', ');
  return {
    intent: 'count',
    text: n > MAX_COUNT ? `I'll stop at ${MAX_COUNT}: ${numbers}.` : `${numbers}.`,
  };
}

/** The reply to one user utterance. */
export function replyTo(userText: string, ctx: ReplyContext): Reply {
  const said = userText.trim();
  const t = normalize(said);
  const words = t === '' ? [] : t.split(' ');
  const has = (re: RegExp): boolean => re.test(t);
  if (words.length === 0) {
    return { intent: 'empty', text: "I didn't catch that. Could you say it again?" };
  }
  if (has(/\b(goodbye|good bye|bye|see you|farewell|good night)\b/)) {
    return { intent: 'goodbye', text: 'Goodbye! Talk to you soon.' };
  }
  if (has(/\b(thanks|thank you|cheers)\b/)) {
    return { intent: 'thanks', text: "You're welcome! Anything else?" };
  }
  if (has(/\bhow are you\b|\bhow is it going\b|\bhows it going\b/)) {
    return {
      intent: 'how-are-you',
      text: "I'm doing well, thanks for asking. How can I help you?",
    };
  }
  if (has(/\bwhat time\b|\bthe time\b|\btime is it\b/)) {
    const time = new Intl.DateTimeFormat('en-US', {
      hour: 'numeric',
      minute: '2-digit',
      timeZone: ctx.timeZone,
    }).format(ctx.now);
    return { intent: 'time', text: `It's ${time}.` };
  }
  if (has(/\bwhat day\b|\bthe date\b|\bwhats the date\b|\btodays date\b|\bwhat date\b/)) {
    const date = new Intl.DateTimeFormat('en-US', {
      weekday: 'long',
      month: 'long',
      day: 'numeric',
      year: 'numeric',
      timeZone: ctx.timeZone,
    }).format(ctx.now);
    return { intent: 'date', text: `Today is ${date}.` };
  }
  if (has(/\b(weather|forecast|raining|rain|sunny|temperature outside)\b/)) {
    return { intent: 'weather', text: "I can't check the weather offline, sorry." };
  }
  const math = arithmetic(words) ?? counting(words);
  if (math !== undefined) {
    return math;
  }
  if (has(/\bwho are you\b|\byour name\b|\bwhat are you\b/)) {
    return {
      intent: 'identity',
      text: "I'm the voice relay demo assistant. I run entirely offline.",
    };
  }
  if (has(/\bhelp\b|\bwhat can you do\b/)) {
    return {
      intent: 'help',
      text: "I'm an offline demo. Ask me the time or the date, a sum like what is two plus three, or to count to ten. Anything else, I'll repeat back to you.",
    };
  }
  if (has(/\bjoke\b/)) {
    return {
      intent: 'joke',
      text: 'Why did the developer go broke? Because he used up all his cache.',
    };
  }
  const greeting = /^(hello|hi|hey|hiya|greetings|good (morning|afternoon|evening))\b/.exec(t);
  if (greeting !== null) {
    const part = greeting[2];
    const opening = part === undefined ? 'Hello!' : `Good ${part}!`;
    return { intent: 'greeting', text: `${opening} How can I help you today?` };
  }
  const echo = said.replace(/[.!?]+$/, '').trim();
  return { intent: 'echo', text: `You said: ${echo}.` };
}
