/**
 * PII masking for text on its way to the LLM, into the audit log and into stored
 * transcripts: card numbers (Luhn-checked), phone numbers and other long digit runs,
 * written with digits or spoken as words ("four one five …"), and e-mail addresses,
 * written or spoken ("jane at example dot com").
 */

export type PiiKind = 'card' | 'phone' | 'number' | 'email';

export interface Masked {
  text: string;
  /** How many of each kind were masked. */
  found: Partial<Record<PiiKind, number>>;
}

const DIGIT_WORDS: Readonly<Record<string, string>> = {
  zero: '0',
  oh: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};

const TOKEN = `(?:\\d+|${Object.keys(DIGIT_WORDS).join('|')})`;
/** Digits and digit words separated by spaces, dots, commas, dashes, slashes, parentheses. */
const DIGIT_RUN = new RegExp(`\\+?\\(?\\b${TOKEN}\\b(?:[\\s.,()/-]+\\b${TOKEN}\\b)*`, 'gi');
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const SPOKEN_EMAIL = /\b[\w]+(?: dot [\w]+)* at [\w-]+(?: dot [\w-]+)+\b/gi;

/** The Luhn checksum of a card number's digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function digitsOf(run: string): string {
  let out = '';
  for (const m of run.matchAll(new RegExp(TOKEN, 'gi'))) {
    const t = m[0].toLowerCase();
    out += DIGIT_WORDS[t] ?? t;
  }
  return out;
}

function kindOf(digits: string): PiiKind | undefined {
  if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) {
    return 'card';
  }
  if (digits.length >= 7 && digits.length <= 15) {
    return 'phone';
  }
  return digits.length > 15 ? 'number' : undefined;
}

/** Mask the PII in `text` (`[card]`, `[phone]`, `[number]`, `[email]`). */
export function maskPii(text: string): Masked {
  const found: Partial<Record<PiiKind, number>> = {};
  const count = (k: PiiKind): string => {
    found[k] = (found[k] ?? 0) + 1;
    return `[${k}]`;
  };
  let out = text.replace(EMAIL, () => count('email'));
  out = out.replace(SPOKEN_EMAIL, () => count('email'));
  out = out.replace(DIGIT_RUN, (run) => {
    const kind = kindOf(digitsOf(run));
    return kind === undefined ? run : count(kind);
  });
  return { text: out, found };
}
