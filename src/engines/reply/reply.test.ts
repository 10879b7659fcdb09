import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateResponse__Output } from '../../generated/voicerelay/v1/GenerateResponse.js';
import { simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import { parseNumber, replyTo } from './intents.js';
import { startReplyServer, type ReplyServer } from './server.js';

const NOW = new Date('2026-11-23T15:45:00Z');
const ctx = { now: NOW, timeZone: 'UTC' };
const reply = (text: string) => replyTo(text, ctx);

describe('replyTo', () => {
  it.each([
    ['Hello there', 'greeting', 'Hello! How can I help you today?'],
    ['good morning', 'greeting', 'Good morning! How can I help you today?'],
    ['How are you?', 'how-are-you', "I'm doing well, thanks for asking. How can I help you?"],
    ['what time is it', 'time', "It's 3:45 PM."],
    ["What's the date today?", 'date', 'Today is Monday, November 23, 2026.'],
    ['what is the weather today', 'weather', "I can't check the weather offline, sorry."],
    ['what is two plus three', 'arithmetic', '2 plus 3 is 5.'],
    ["what's 12 times 4?", 'arithmetic', '12 times 4 is 48.'],
    ['what is one hundred and five minus seven', 'arithmetic', '105 minus 7 is 98.'],
    ['seven divided by two', 'arithmetic', '7 divided by 2 is 3.5.'],
    ['what is five divided by zero', 'arithmetic', "I can't divide by zero."],
    ['count to five', 'count', '1, 2, 3, 4, 5.'],
    ['thank you', 'thanks', "You're welcome! Anything else?"],
    ['OK, goodbye!', 'goodbye', 'Goodbye! Talk to you soon.'],
    [
      'what can you do',
      'help',
      expect.stringContaining("I'm an offline demo.") as unknown as string,
    ],
    ['who are you', 'identity', "I'm the voice relay demo assistant. I run entirely offline."],
    ['turn on the lights.', 'echo', 'You said: turn on the lights.'],
    ['   ', 'empty', "I didn't catch that. Could you say it again?"],
  ])('%j → %s', (input, intent, text) => {
    expect(reply(input)).toEqual({ intent, text });
  });

  it('is deterministic', () => {
    for (const input of ['hello', 'what is twenty one plus one', 'anything at all']) {
      expect(reply(input)).toEqual(reply(input));
    }
  });

  it('parses number words and digits', () => {
    expect(parseNumber(['twenty', 'one'])).toBe(21);
    expect(parseNumber(['two', 'thousand', 'and', 'twenty', 'six'])).toBe(2026);
    expect(parseNumber(['3.5'])).toBe(3.5);
    expect(parseNumber(['lights'])).toBeUndefined();
  });
});

describe('reply engine over gRPC', () => {
  let server: ReplyServer;
  let clients: SimClients;

  beforeAll(async () => {
    server = await startReplyServer({
      firstTokenMs: 5,
      interTokenMs: 5,
      now: () => NOW,
      timeZone: 'UTC',
    });
    clients = simClients(server.address);
  });

  afterAll(async () => {
    clients.close();
    await server.close();
  });

  it('streams the reply word by word, then usage and STOP', async () => {
    const call = clients.llm.Generate({
      requestId: 'r1',
      turnId: 't1',
      messages: [
        { role: 'SYSTEM', content: 'Be brief.' },
        { role: 'USER', content: 'hello' },
        { role: 'ASSISTANT', content: 'Hello! How can I help you today?' },
        { role: 'USER', content: 'what is two plus three' },
      ],
    });
    const rec = new StreamRecorder<GenerateResponse__Output>(call);
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    const deltas = rec.messages.filter((m) => m.kind === 'delta').map((m) => m.delta?.text);
    expect(deltas).toEqual(['2', ' plus', ' 3', ' is', ' 5.']);
    expect(rec.messages.at(-2)?.usage).toEqual({ promptTokens: 15, completionTokens: 5 });
    expect(rec.messages.at(-1)?.finish).toBe('STOP');
    expect(rec.messages.every((m) => m.requestId === 'r1' && m.turnId === 't1')).toBe(true);
  });

  it('truncates at max_tokens with LENGTH and stops on cancel', async () => {
    const call = clients.llm.Generate({
      requestId: 'r2',
      messages: [{ role: 'USER', content: 'count to twenty' }],
      params: { maxTokens: 3 },
    });
    const rec = new StreamRecorder<GenerateResponse__Output>(call);
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(rec.messages.filter((m) => m.kind === 'delta').map((m) => m.delta?.text)).toEqual([
      '1,',
      ' 2,',
      ' 3,',
    ]);
    expect(rec.messages.at(-1)?.finish).toBe('LENGTH');
    const long = clients.llm.Generate({
      requestId: 'r3',
      messages: [{ role: 'USER', content: 'help' }],
    });
    const rec3 = new StreamRecorder<GenerateResponse__Output>(long);
    await rec3.next((m) => m.kind === 'delta');
    const ended = server.engine.monitor.waitFor('call-ended', (e) => e.requestId === 'r3');
    long.cancel();
    expect((await ended).outcome).toBe('cancelled');
  });
});
