import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { replyTo } from './intents.js';
import { RULES, SAY_EXAMPLES, UTTERANCE, expand, replyGrammar, type Expansion } from './phrases.js';

/** The grammar as an anchored regular expression over space-separated words. */
function toRegex(e: Expansion): string {
  if (typeof e === 'string') {
    return e
      .split(' ')
      .map((w) => {
        const rule = /^<(\w+)>$/.exec(w)?.[1];
        const r = rule === undefined ? undefined : RULES[rule];
        return r === undefined ? `${w} ` : toRegex(r);
      })
      .join('');
  }
  if (Array.isArray(e)) {
    return e.map(toRegex).join('');
  }
  if ('opt' in e) {
    return `(?:${toRegex(e.opt)})?`;
  }
  return `(?:${e.alt.map(toRegex).join('|')})`;
}

const sentence = new RegExp(`^${toRegex(UTTERANCE)}$`);
const inGrammar = (text: string): boolean => sentence.test(`${text} `);

describe('the reply grammar', () => {
  it('holds every example the CLI and the demo page suggest, and not free speech', () => {
    for (const s of SAY_EXAMPLES) {
      expect(inGrammar(s), s).toBe(true);
    }
    expect(inGrammar('what is twenty one times three')).toBe(true);
    expect(inGrammar('hello there how are you')).toBe(true);
    expect(inGrammar('alpha bravo charlie delta')).toBe(false);
  });

  it('every sentence it produces gets a real answer from the reply engine (never the echo)', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const ctx = { now: new Date(Date.UTC(2026, 0, 2, 15, 4)), timeZone: 'UTC' };
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const text = expand(UTTERANCE, rnd);
      expect(inGrammar(text), text).toBe(true);
      const reply = replyTo(text, ctx);
      expect(['echo', 'empty'], `${text} → ${reply.intent}`).not.toContain(reply.intent);
      seen.add(reply.intent);
    }
    expect([...seen].sort()).toEqual(
      [
        'arithmetic',
        'count',
        'date',
        'goodbye',
        'greeting',
        'help',
        'how-are-you',
        'identity',
        'joke',
        'thanks',
        'time',
        'weather',
      ].sort(),
    );
    expect(replyTo('what is two plus three', ctx).text).toBe('2 plus 3 is 5.');
  });

  it('is the grammar of the default pipeline (embedded and in docker-compose)', () => {
    for (const path of ['pipelines/default.yaml', 'pipelines/compose/default.yaml']) {
      const file = new URL(`../../../${path}`, import.meta.url);
      const p = parse(readFileSync(file, 'utf8')) as { stages: { stt: { grammar?: string } } };
      expect(p.stages.stt.grammar, path).toBe(replyGrammar());
    }
  });
});
