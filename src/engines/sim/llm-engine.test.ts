import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../core/clock.js';
import type { ChatMessage } from '../../generated/voicerelay/v1/ChatMessage.js';
import type { GenerateRequest } from '../../generated/voicerelay/v1/GenerateRequest.js';
import type { GenerateResponse__Output } from '../../generated/voicerelay/v1/GenerateResponse.js';
import { DEFAULT_PROFILES } from './profiles.js';
import { countWords, replyFor, RequestLog, tokenize } from './llm-engine.js';
import { startSimServer, type SimServer } from './server.js';
import { simClients, simProfileMetadata, StreamRecorder, type SimClients } from './test-support.js';

type Res = GenerateResponse__Output;

let server: SimServer;
let clients: SimClients;

beforeAll(async () => {
  server = await startSimServer({ engines: ['llm'] });
  clients = simClients(server.address);
});

afterAll(async () => {
  clients.close();
  await server.close();
});

function generate(request: GenerateRequest, metadata?: Metadata): StreamRecorder<Res> {
  const call =
    metadata === undefined
      ? clients.llm.Generate(request)
      : clients.llm.Generate(request, metadata);
  return new StreamRecorder<Res>(call);
}

const user = (content: string): ChatMessage => ({ role: 'USER', content });
const assistant = (content: string): ChatMessage => ({ role: 'ASSISTANT', content });

describe('sim LLM helpers', () => {
  it('tokenizes words with their leading space', () => {
    expect(tokenize('You said: hi there.')).toEqual(['You', ' said:', ' hi', ' there.']);
    expect(tokenize(' a  b ').join('')).toBe(' a  b ');
    expect(tokenize('')).toEqual([]);
    expect(countWords(' one two\nthree ')).toBe(3);
  });

  it('echoes the last user message and follows the script by user turn', () => {
    const echo = DEFAULT_PROFILES.llm;
    expect(replyFor(echo, [{ role: 'USER', content: 'What time is it?' }])).toBe(
      'You said: What time is it.',
    );
    expect(replyFor(echo, [])).toBe('You said nothing.');
    const scripted = { ...echo, mode: 'scripted' as const, script: ['one', 'two'] };
    const turn = (n: number) =>
      Array.from({ length: n }, () => ({ role: 'USER' as const, content: 'x' }));
    expect([1, 2, 3].map((n) => replyFor(scripted, turn(n)))).toEqual(['one', 'two', 'one']);
  });

  it('keeps a bounded request log', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 5; i++) {
      log.push({
        requestId: `r${i}`,
        turnId: '',
        sessionId: '',
        messages: [],
        params: null,
        tools: [],
        receivedAtMs: i,
      });
    }
    expect(log.all.map((r) => r.requestId)).toEqual(['r2', 'r3', 'r4']);
    expect(log.last?.requestId).toBe('r4');
    expect(log.find('r3')?.receivedAtMs).toBe(3);
  });
});

describe('sim LLM', () => {
  it('streams the echo reply as deltas, then usage and finish, each with the ids', async () => {
    const rec = generate({
      requestId: 'llm-echo',
      turnId: 'turn-1',
      sessionId: 's1',
      messages: [{ role: 'SYSTEM', content: 'Be brief.' }, user('hello there')],
    });
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    const messages = rec.messages;
    const deltas = messages.filter((m) => m.kind === 'delta').map((m) => m.delta);
    expect(deltas.map((d) => d?.text).join('')).toBe('You said: hello there.');
    expect(deltas.map((d) => d?.index)).toEqual([0, 1, 2, 3]);
    expect(messages.map((m) => m.kind).slice(-2)).toEqual(['usage', 'finish']);
    expect(messages.at(-2)?.usage).toEqual({ promptTokens: 4, completionTokens: 4 });
    expect(messages.at(-1)?.finish).toBe('STOP');
    for (const m of messages) {
      expect(m.requestId).toBe('llm-echo');
      expect(m.turnId).toBe('turn-1');
      expect(m.serverTsMs).toBeGreaterThan(0);
    }
  });

  it('sends the first delta ttftMs after receipt and the next ones interTokenMs apart', async () => {
    const ttftMs = 150;
    const interTokenMs = 30;
    const startMs = nowMs();
    const rec = generate(
      { requestId: 'llm-timing', messages: [user('one two three four five six')] },
      simProfileMetadata({ ttftMs, interTokenMs }),
    );
    await rec.done();
    const deltas = rec.received.filter((r) => r.message.kind === 'delta');
    const first = deltas[0]!;
    expect(first.atMs - startMs).toBeGreaterThanOrEqual(ttftMs);
    const receivedAtMs = server.llm.requests.find('llm-timing')!.receivedAtMs;
    deltas.forEach((d, i) => {
      // Absolute schedule from receipt: never early.
      const dueMs = receivedAtMs + ttftMs + i * interTokenMs;
      expect(d.message.serverTsMs).toBeGreaterThanOrEqual(dueMs);
    });
  });

  it('records every request with its conversation history', async () => {
    const history = [user('hi'), assistant('You said: hi.'), user('and now?')];
    await generate({
      requestId: 'llm-history',
      turnId: 't2',
      sessionId: 'sess-9',
      messages: history,
      params: { model: 'sim-1', maxTokens: 0, temperature: 0.5 },
    }).done();
    const record = server.llm.requests.find('llm-history');
    expect(record).toMatchObject({ turnId: 't2', sessionId: 'sess-9' });
    expect(record?.messages.map((m) => ({ role: m.role, content: m.content }))).toEqual(history);
    expect(record?.params).toMatchObject({ model: 'sim-1', temperature: 0.5 });
  });

  it('uses the script in scripted mode (per-call profile) and truncates at max_tokens', async () => {
    const md = simProfileMetadata({
      mode: 'scripted',
      script: ['First reply here.', 'Second.'],
      ttftMs: 0,
    });
    const texts: string[] = [];
    for (const n of [1, 2, 3]) {
      const messages = Array.from({ length: n }, (_, i) => user(`q${i}`));
      const rec = generate({ requestId: `llm-script-${n}`, messages }, md);
      await rec.done();
      texts.push(rec.messages.map((m) => m.delta?.text ?? '').join(''));
    }
    expect(texts).toEqual(['First reply here.', 'Second.', 'First reply here.']);
    const truncated = generate(
      { requestId: 'llm-max', messages: [user('a b c d e f')], params: { maxTokens: 2 } },
      md,
    );
    await truncated.done();
    expect(truncated.messages.filter((m) => m.kind === 'delta')).toHaveLength(2);
    expect(truncated.messages.at(-1)?.finish).toBe('LENGTH');
  });

  it('makes the declared tool calls in parallel, then answers with their results', async () => {
    const md = simProfileMetadata({
      ttftMs: 0,
      toolCalls: [
        { name: 'a', arguments: '{"x":1}' },
        { name: 'undeclared', arguments: '{}' },
        { name: 'b', arguments: '{}' },
      ],
    });
    const tools = [
      { name: 'a', parametersJson: '{}' },
      { name: 'b', parametersJson: '{}' },
    ];
    const rec = generate({ requestId: 'llm-tools', messages: [user('q')], tools }, md);
    await rec.done();
    const frags = rec.messages.filter((m) => m.kind === 'toolCall').map((m) => m.toolCall);
    expect(frags.map((f) => [f?.index, f?.name, f?.arguments])).toEqual([
      [0, 'a', ''],
      [0, '', '{"x":1}'],
      [1, 'b', ''],
      [1, '', '{}'],
    ]);
    expect(frags[0]?.id).not.toBe('');
    expect(rec.messages.at(-1)?.finish).toBe('TOOL_CALLS');
    const answer = generate(
      {
        requestId: 'llm-tools-2',
        messages: [
          user('q'),
          { role: 'ASSISTANT', toolCalls: [{ id: 'c0', name: 'a', argumentsJson: '{"x":1}' }] },
          { role: 'TOOL', toolCallId: 'c0', content: 'one' },
          { role: 'TOOL', toolCallId: 'c1', content: 'two' },
        ],
        tools,
      },
      md,
    );
    await answer.done();
    expect(answer.messages.map((m) => m.delta?.text ?? '').join('')).toBe('Result: one; two.');
    expect(answer.messages.at(-1)?.finish).toBe('STOP');
  });

  it('stops at once when the client cancels, and the server observes it', async () => {
    const observed = server.llm.waitFor('call-cancelled', (e) => e.requestId === 'llm-cancel');
    const ended = server.llm.waitFor('call-ended', (e) => e.requestId === 'llm-cancel');
    const call = clients.llm.Generate(
      { requestId: 'llm-cancel', messages: [user('a b c d e f g h i j k l m n o p')] },
      simProfileMetadata({ ttftMs: 0, interTokenMs: 50 }),
    );
    const rec = new StreamRecorder<Res>(call);
    await rec.next((m) => m.kind === 'delta');
    call.cancel();
    expect((await rec.done()).code).toBe(GrpcStatus.CANCELLED);
    expect((await observed).via).toBe('client');
    const end = await ended;
    expect(end.outcome).toBe('cancelled');
    expect(end.messagesSent).toBeLessThan(17);
  });

  it('serves hundreds of concurrent streams', async () => {
    const md = simProfileMetadata({ ttftMs: 50, interTokenMs: 5 });
    const recs = Array.from({ length: 200 }, (_, i) =>
      generate({ requestId: `llm-load-${i}`, messages: [user(`number ${i}`)] }, md),
    );
    const statuses = await Promise.all(recs.map((r) => r.done(20_000)));
    expect(statuses.every((s) => s.code === GrpcStatus.OK)).toBe(true);
    recs.forEach((r, i) => {
      expect(r.messages.map((m) => m.delta?.text ?? '').join('')).toBe(`You said: number ${i}.`);
    });
  });
});
