import { createServer } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../../generated/voicerelay/v1/GenerateRequest.js';
import type { GenerateResponse__Output } from '../../generated/voicerelay/v1/GenerateResponse.js';
import { simClients, StreamRecorder, type SimClients } from '../sim/test-support.js';
import {
  chunkEvent,
  helloStream,
  HELLO_TOKENS,
  INVALID_KEY_BODY,
  RATE_LIMIT_BODY,
  SERVER_ERROR_BODY,
  startFixtureServer,
  UNSUPPORTED_MAX_TOKENS_BODY,
  writeJsonError,
  writeSse,
  type FixtureServer,
} from './fixtures.js';
import { startOpenAiServer, type OpenAiServer, type OpenAiServerOptions } from './server.js';

type Res = GenerateResponse__Output;

const KEY_ENV = 'VOICE_RELAY_TEST_OPENAI_KEY';
let upstream: FixtureServer;
let bridge: OpenAiServer | undefined;
let clients: SimClients | undefined;

beforeAll(async () => {
  process.env[KEY_ENV] = 'sk-test-0123456789abcdef1234';
  upstream = await startFixtureServer();
});

afterEach(async () => {
  clients?.close();
  await bridge?.close();
  clients = undefined;
  bridge = undefined;
  upstream.requests.length = 0;
});

afterAll(async () => {
  delete process.env[KEY_ENV];
  await upstream.close();
});

async function start(options: OpenAiServerOptions = {}): Promise<SimClients> {
  bridge = await startOpenAiServer({
    baseUrl: upstream.baseUrl,
    model: 'gpt-4o-mini',
    apiKeyEnv: KEY_ENV,
    backoff: { initialMs: 5, maxMs: 20 },
    ...options,
  });
  clients = simClients(bridge.address);
  return clients;
}

const REQUEST: GenerateRequest = {
  requestId: 'r1',
  turnId: 't1',
  sessionId: 's1',
  messages: [
    { role: 'SYSTEM', content: 'You are a helpful voice assistant.' },
    { role: 'USER', content: 'Hi there' },
  ],
  params: { temperature: 0.7, maxTokens: 64, stop: ['\n\n'] },
};

function generate(c: SimClients, req: GenerateRequest = REQUEST) {
  const call = c.llm.Generate(req);
  return { call, rec: new StreamRecorder<Res>(call) };
}

const deltas = (rec: StreamRecorder<Res>) =>
  rec.messages.flatMap((m) => (m.kind === 'delta' && m.delta != null ? [m.delta] : []));

describe('OpenAI-compatible bridge', () => {
  it('streams token deltas, usage and the finish reason exactly', async () => {
    const c = await start();
    upstream.handler = (_req, res) => writeSse(res, helloStream());
    const { rec } = generate(c);
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(deltas(rec)).toEqual(HELLO_TOKENS.map((text, index) => ({ text, index })));
    const tail = rec.messages.slice(-2);
    expect(tail[0]?.usage).toEqual({ promptTokens: 19, completionTokens: HELLO_TOKENS.length });
    expect(tail[1]?.finish).toBe('STOP');
    for (const m of rec.messages) {
      expect(m).toMatchObject({ requestId: 'r1', turnId: 't1' });
      expect(m.serverTsMs).toBeGreaterThan(0);
    }
    const [sent] = upstream.requests;
    expect(sent?.headers['authorization']).toBe('Bearer sk-test-0123456789abcdef1234');
    expect(sent?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a helpful voice assistant.' },
        { role: 'user', content: 'Hi there' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.7,
      max_tokens: 64,
      stop: ['\n\n'],
    });
  });

  it('sends max_completion_tokens for models that require it, or as configured', async () => {
    const c = await start();
    upstream.handler = (_req, res) => writeSse(res, helloStream(['Ok']));
    const o3 = { ...REQUEST, params: { ...REQUEST.params, model: 'o3-mini' } };
    expect((await generate(c, o3).rec.done()).code).toBe(GrpcStatus.OK);
    expect(upstream.requests[0]?.body).toMatchObject({
      model: 'o3-mini',
      max_completion_tokens: 64,
    });
    expect(upstream.requests[0]?.body).not.toHaveProperty('max_tokens');
    clients?.close();
    await bridge?.close();
    const forced = await start({ maxTokensField: 'max_tokens' });
    expect((await generate(forced, o3).rec.done()).code).toBe(GrpcStatus.OK);
    expect(upstream.requests[1]?.body).toMatchObject({ max_tokens: 64 });
    expect(upstream.requests[1]?.body).not.toHaveProperty('max_completion_tokens');
  });

  it('switches to max_completion_tokens when the upstream rejects max_tokens, and remembers it', async () => {
    const c = await start();
    upstream.handler = (req, res) => {
      if ('max_tokens' in req.body) {
        writeJsonError(res, 400, UNSUPPORTED_MAX_TOKENS_BODY);
      } else {
        writeSse(res, helloStream(['Fine']));
      }
    };
    const first = generate(c);
    expect((await first.rec.done()).code).toBe(GrpcStatus.OK);
    expect(deltas(first.rec).map((d) => d.text)).toEqual(['Fine']);
    expect(upstream.requests.map((r) => 'max_completion_tokens' in r.body)).toEqual([false, true]);
    expect((await generate(c).rec.done()).code).toBe(GrpcStatus.OK);
    expect(upstream.requests.map((r) => 'max_completion_tokens' in r.body)).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('maps an error event inside the stream by its code, keeping the provider message', async () => {
    const c = await start({ maxRetries: 0 });
    upstream.handler = (_req, res) => writeSse(res, [`data: ${RATE_LIMIT_BODY}\n\n`]);
    const status = await generate(c).rec.done();
    expect(status.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(status.details).toContain('Rate limit reached for gpt-4o-mini');
  });

  it('reuses the upstream connection for sequential calls (keep-alive pool)', async () => {
    const c = await start();
    upstream.handler = (_req, res) => writeSse(res, helloStream(['One']));
    for (const requestId of ['k1', 'k2', 'k3']) {
      const { rec } = generate(c, { ...REQUEST, requestId });
      expect((await rec.done()).code).toBe(GrpcStatus.OK);
    }
    const ports = new Set(upstream.requests.map((r) => r.remotePort));
    expect(ports.size).toBe(1);
  });

  it('parses events split across writes and finish_reason length', async () => {
    const c = await start();
    upstream.handler = (_req, res) => {
      const whole = [
        chunkEvent({ role: 'assistant', content: '' }),
        chunkEvent({ content: 'Ünïcode ✓' }),
        chunkEvent({ content: ' cut' }),
        chunkEvent({}, 'length'),
        'data: [DONE]\r\n\r\n',
      ].join('');
      const bytes = Buffer.from(whole.replace(/\n\n/g, '\r\n\r\n'));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < bytes.length; i += 7) {
        res.write(bytes.subarray(i, i + 7));
      }
      res.end();
    };
    const { rec } = generate(c, { ...REQUEST, params: { model: 'local-model', temperature: 0 } });
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(deltas(rec).map((d) => d.text)).toEqual(['Ünïcode ✓', ' cut']);
    expect(rec.messages.at(-1)?.finish).toBe('LENGTH');
    expect(rec.messages.some((m) => m.kind === 'usage')).toBe(false);
    expect(upstream.requests[0]?.body).toMatchObject({ model: 'local-model', temperature: 0 });
  });

  it('retries a 429 and a 500 before the first token', async () => {
    const c = await start();
    upstream.handler = (_req, res, i) => {
      if (i === 0) {
        writeJsonError(res, 429, RATE_LIMIT_BODY, { 'retry-after': '0' });
      } else if (i === 1) {
        writeJsonError(res, 500, SERVER_ERROR_BODY);
      } else {
        writeSse(res, helloStream());
      }
    };
    const { rec } = generate(c);
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(upstream.requests).toHaveLength(3);
    expect(deltas(rec).map((d) => d.text)).toEqual(HELLO_TOKENS);
    expect(bridge?.engine.monitor.stats.retries).toBe(2);
  });

  it('does not retry once a token was sent: a cut stream ends UNAVAILABLE with a clear message', async () => {
    const c = await start();
    upstream.handler = (_req, res) => {
      writeSse(
        res,
        [chunkEvent({ role: 'assistant', content: '' }), chunkEvent({ content: 'Hel' })],
        false,
      );
      res.write(chunkEvent({ content: 'lo' }), () => res.socket?.destroy());
    };
    const { rec } = generate(c);
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(status.details).toMatch(/upstream stream was cut after 2 deltas/);
    expect(deltas(rec).map((d) => d.text)).toEqual(['Hel', 'lo']);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a stream cut before the first token is retried', async () => {
    const c = await start();
    upstream.handler = (_req, res, i) => {
      if (i === 0) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunkEvent({ role: 'assistant', content: '' }), () => res.socket?.destroy());
      } else {
        writeSse(res, helloStream(['Ok']));
      }
    };
    const { rec } = generate(c);
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    expect(deltas(rec).map((d) => d.text)).toEqual(['Ok']);
    expect(upstream.requests).toHaveLength(2);
  });

  it('cancelling the gRPC call aborts the HTTP request', async () => {
    const c = await start();
    upstream.handler = (_req, res) => {
      writeSse(
        res,
        [chunkEvent({ role: 'assistant', content: '' }), chunkEvent({ content: 'Hi' })],
        false,
      );
    };
    const { call, rec } = generate(c);
    await rec.next((m) => m.kind === 'delta');
    const ended = bridge!.engine.monitor.waitFor('call-ended');
    call.cancel();
    await upstream.requests[0]?.aborted;
    expect((await ended).outcome).toBe('cancelled');
  });

  it('maps 401 to UNAUTHENTICATED keeping the provider message, without retrying', async () => {
    const c = await start();
    upstream.handler = (_req, res) => writeJsonError(res, 401, INVALID_KEY_BODY);
    const { rec } = generate(c);
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(status.details).toContain('upstream HTTP 401');
    expect(status.details).toContain('Incorrect API key provided: sk-test*******************1234');
    expect(status.details).toContain('invalid_api_key');
    expect(status.details).not.toContain('sk-test-0123456789abcdef1234');
    expect(upstream.requests).toHaveLength(1);
  });

  it('gives up after maxRetries with the last upstream error', async () => {
    const c = await start({ maxRetries: 1 });
    upstream.handler = (_req, res) => writeJsonError(res, 503, SERVER_ERROR_BODY);
    const { rec } = generate(c);
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(status.details).toContain('The server had an error');
    expect(upstream.requests).toHaveLength(2);
  });

  it('fails DEADLINE_EXCEEDED when no first token comes in time, aborting the request', async () => {
    const c = await start({ firstTokenTimeoutMs: 300 });
    upstream.handler = (_req, res) => {
      writeSse(res, [chunkEvent({ role: 'assistant', content: '' })], false);
    };
    const { rec } = generate(c);
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(status.details).toMatch(/no first token .* within 300 ms/);
    await upstream.requests[0]?.aborted;
  });

  it('reports an unreachable upstream as UNAVAILABLE after retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = await start({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 1 });
    const { rec } = generate(c);
    const status = await rec.done();
    expect(status.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(status.details).toMatch(/cannot reach .*ECONNREFUSED/);
    expect(bridge?.engine.monitor.stats.upstreamRequests).toBe(2);
  });
});

describe('OpenAI-compatible bridge: tools', () => {
  it('sends tools and the tool exchange, and maps parallel tool-call deltas', async () => {
    const c = await start();
    const call = (index: number, id: string | undefined, name: string | undefined, args: string) =>
      chunkEvent({
        tool_calls: [
          {
            index,
            ...(id === undefined ? {} : { id, type: 'function' }),
            function: { ...(name === undefined ? {} : { name }), arguments: args },
          },
        ],
      });
    upstream.handler = (_req, res) =>
      writeSse(res, [
        chunkEvent({ role: 'assistant', content: null }),
        call(0, 'call_a', 'get_slots', ''),
        call(0, undefined, undefined, '{"day":'),
        call(0, undefined, undefined, '"fri"}'),
        // A server that reuses index 0 with a fresh id for the second parallel call.
        call(0, 'call_b', 'get_weather', '{}'),
        chunkEvent({}, 'tool_calls'),
        'data: [DONE]\n\n',
      ]);
    const { rec } = generate(c, {
      ...REQUEST,
      messages: [
        { role: 'USER', content: 'slots?' },
        { role: 'ASSISTANT', toolCalls: [{ id: 'c0', name: 'get_slots', argumentsJson: '{}' }] },
        { role: 'TOOL', toolCallId: 'c0', content: '{"slots":[]}' },
      ],
      tools: [
        { name: 'get_slots', description: 'Free slots', parametersJson: '{"type":"object"}' },
      ],
    });
    expect((await rec.done()).code).toBe(GrpcStatus.OK);
    const frags = rec.messages.flatMap((m) => (m.toolCall == null ? [] : [m.toolCall]));
    expect(frags).toEqual([
      { index: 0, id: 'call_a', name: 'get_slots', arguments: '' },
      { index: 0, id: '', name: '', arguments: '{"day":' },
      { index: 0, id: '', name: '', arguments: '"fri"}' },
      { index: 1, id: 'call_b', name: 'get_weather', arguments: '{}' },
    ]);
    expect(rec.messages.at(-1)?.finish).toBe('TOOL_CALLS');
    const body = upstream.requests[0]?.body;
    expect(body?.['tools']).toEqual([
      {
        type: 'function',
        function: { name: 'get_slots', description: 'Free slots', parameters: { type: 'object' } },
      },
    ]);
    expect(body?.['messages']).toEqual([
      { role: 'user', content: 'slots?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c0', type: 'function', function: { name: 'get_slots', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c0', content: '{"slots":[]}' },
    ]);
  });
});
