import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../frames/events.js';
import { parsePipeline } from '../../config/pipelines.js';
import { TtsCache } from '../../stages/tts-cache.js';
import { ConversationHistory } from '../history.js';
import { ClientTools } from './client-tools.js';
import { ToolCallAccumulator } from './tool-calls.js';
import { ToolRound } from './tool-round.js';
import { checkArguments } from './validate.js';

const STAGES = `stages:
  stt: { endpoints: [embedded], budgetMs: 3000 }
  llm: { endpoints: [embedded], budgetMs: 3000 }
  tts: { endpoints: [embedded], budgetMs: 3000 }
`;

const withTools = (tools: string) =>
  parsePipeline(`name: t\n${STAGES}tools:\n${tools}`, '/pipelines/t.yaml');

const BOOK = `  - name: book
    parameters:
      type: object
      properties: { seats: { type: integer, minimum: 1 } }
      required: [seats]`;

describe('tool declarations in the pipeline', () => {
  it('compiles parameter schemas at load and names the field of a bad one', () => {
    expect(withTools(BOOK).tools[0]).toMatchObject({
      name: 'book',
      run: 'client',
      onBargeIn: 'cancel',
    });
    expect(() => withTools(`  - name: bad\n    parameters: { type: nonsense }`)).toThrow(
      /tools\[0\]\.parameters: is not a valid JSON Schema/,
    );
    expect(() => withTools(`  - name: hook\n    run: webhook`)).toThrow(
      /tools\[0\]\.webhook: is required/,
    );
    expect(() => withTools(`${BOOK}\n${BOOK}`)).toThrow(/duplicate tool book/);
  });
});

describe('tool arguments', () => {
  const tool = withTools(BOOK).tools[0];
  it('are parsed and checked against the schema', () => {
    if (tool === undefined) {
      throw new Error('no tool');
    }
    expect(checkArguments(tool, '{"seats":2}')).toEqual({ ok: true, value: { seats: 2 } });
    expect(checkArguments(tool, '{"seats":0}')).toEqual({
      ok: false,
      error: 'arguments/seats must be >= 1',
    });
    expect(checkArguments(tool, '{"seats":')).toEqual({
      ok: false,
      error: 'arguments are not valid JSON',
    });
  });

  it('that are invalid are refused before the call: the client is never asked', async () => {
    const cfg = withTools(BOOK);
    const events: ServerEvent[] = [];
    const round = new ToolRound(
      {
        sessionId: 's',
        turnId: 's.t1',
        tools: cfg.tools,
        client: new ClientTools(),
        emit: (e) => events.push(e),
      },
      [
        { id: 'c1', name: 'book', arguments: '{"seats":"many"}' },
        { id: 'c2', name: 'nope', arguments: '{}' },
      ],
    );
    const out = await round.run();
    expect(events).toEqual([]);
    expect(out.map((o) => o.ok)).toEqual([false, false]);
    expect(JSON.parse(out[0]?.content ?? '')).toEqual({
      error: 'refused: arguments/seats must be integer',
    });
    expect(JSON.parse(out[1]?.content ?? '')).toEqual({ error: 'unknown tool nope' });
  });
});

describe('a session that closes', () => {
  it('ends every running call, a kept one too', async () => {
    const cfg = withTools(`${BOOK}\n    onBargeIn: keep`);
    const client = new ClientTools();
    const events: ServerEvent[] = [];
    const round = new ToolRound(
      { sessionId: 's', turnId: 's.t1', tools: cfg.tools, client, emit: (e) => events.push(e) },
      [{ id: 'c1', name: 'book', arguments: '{"seats":2}' }],
    );
    const out = round.run();
    expect(round.interrupt(false).kept).toHaveLength(1);
    client.close();
    expect((await out)[0]?.content).toBe('{"error":"the session closed"}');
    expect(client.pending).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['response.function_call']);
  });
});

describe('tool-call fragments', () => {
  it('join per index, parallel calls kept apart', () => {
    const acc = new ToolCallAccumulator();
    acc.push(0, 'a', 'get', '');
    acc.push(1, 'b', 'put', '{"x"');
    acc.push(0, '', '', '{}');
    acc.push(1, '', '', ':1}');
    expect(acc.take('t')).toEqual([
      { id: 'a', name: 'get', arguments: '{}' },
      { id: 'b', name: 'put', arguments: '{"x":1}' },
    ]);
    expect(acc.size).toBe(0);
  });
});

describe('history with tool exchanges', () => {
  it('never starts with a result whose call was trimmed', () => {
    const h = new ConversationHistory('', 3);
    h.add('user', 'q');
    h.addAll(
      ToolRound.messages('', [
        { call: { id: 'c1', name: 'get', arguments: '{}' }, content: '1', ok: true, ran: 'client' },
        { call: { id: 'c2', name: 'get', arguments: '{}' }, content: '2', ok: true, ran: 'client' },
      ]),
    );
    h.add('assistant', 'done');
    expect(h.forRequest().map((m) => m.role)).toEqual(['assistant']);
  });
});

describe('TtsCache', () => {
  it('bounds its bytes (least recently used first) and shares one synthesis per key', async () => {
    const cache = new TtsCache(10);
    const results: string[] = [];
    let synths = 0;
    const speech = (n: number) => () => {
      synths++;
      return Promise.resolve({ audio: Buffer.alloc(n), textEnd: 1, spans: [] });
    };
    const r = (x: string) => results.push(x);
    await Promise.all([cache.get('a', speech(4), r), cache.get('a', speech(4), r)]);
    expect(synths).toBe(1);
    await cache.get('b', speech(4), r);
    await cache.get('a', speech(4), r); // hit: a becomes the most recent
    await cache.get('c', speech(4), r); // 12 bytes > 10: b goes
    expect(cache.bytes).toBe(8);
    expect(results).toEqual(['miss', 'miss', 'miss', 'hit', 'miss']);
    await cache.get('b', speech(4), r);
    expect(results[results.length - 1]).toBe('miss');
    await cache.get('big', speech(11), r);
    expect(cache.bytes).toBeLessThanOrEqual(10);
  });
});
