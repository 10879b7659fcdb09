import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/** Tools end to end: a real relay, a real sim gRPC engine, real ws clients, a real webhook. */
const SECRET_ENV = 'VR_TEST_TOOL_SECRET';
const SECRET = 'tool-secret-0123456789';

interface HookRequest {
  body: string;
  signature: string;
  valid: boolean;
}

let sim: SimServer;
let relay: Relay;
let dir: string;
let hook: Server;
let hookUrl: string;
const hookRequests: HookRequest[] = [];
let hookMode: 'ok' | '500' | 'hang' = 'ok';
/** Called when the relay aborts a webhook request before it was answered. */
let onHookAborted: (() => void) | undefined;
/** Called when a webhook request has come in. */
let onHookRequest: (() => void) | undefined;

/** How a receiver verifies the signature (README "Tools"). */
function verify(body: string, header: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (m === null) {
    return false;
  }
  const want = createHmac('sha256', SECRET).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(want, Buffer.from(m[2] ?? '', 'hex'));
}

function pipeline(
  name: string,
  tools: string,
  llmEndpoint: string,
  extra = '',
  fillerDelayMs = 200,
): string {
  return `name: ${name}
stages:
  stt: { endpoints: [embedded:sim], budgetMs: 3000 }
  llm: { endpoints: ['${llmEndpoint}'], budgetMs: 5000 }
  tts: { endpoints: ['${llmEndpoint}'], budgetMs: 5000, voice: ${name} }
tools:
${tools}
fillers: { delayMs: ${fillerDelayMs}, phrases: ['One moment please.'] }
${extra}`;
}

const SLOTS_TOOL = `  - name: get_slots
    description: Free table slots on a day
    parameters:
      type: object
      properties: { day: { type: string, enum: [mon, fri] } }
      required: [day]
      additionalProperties: false
    run: client
    timeoutMs: 20000`;

const hookTool = (timeoutMs: number, onBargeIn = 'cancel'): string => `  - name: get_slots
    parameters:
      type: object
      properties: { day: { type: string } }
      required: [day]
    run: webhook
    webhook: { url: '${hookUrl}', secretEnv: ${SECRET_ENV} }
    timeoutMs: ${timeoutMs}
    onBargeIn: ${onBargeIn}`;

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const signature = String(req.headers['x-relay-signature'] ?? '');
      hookRequests.push({ body, signature, valid: verify(body, signature) });
      onHookRequest?.();
      if (hookMode === 'hang') {
        // Never answers: the tool's timeout or a barge-in must end the wait.
        res.on('close', () => {
          if (!res.writableFinished) {
            onHookAborted?.();
          }
        });
        return;
      }
      if (hookMode === '500') {
        res.writeHead(500).end('boom');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"slots":["19:00"]}');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/tool`;
  sim = await startSimServer({
    llm: {
      ttftMs: 20,
      interTokenMs: 5,
      toolCalls: [{ name: 'get_slots', arguments: '{"day":"fri"}' }],
    },
    tts: { firstAudioMs: 20, msPerChar: 20, chunkMs: 20, realTimeFactor: 0.2 },
  });
  dir = await mkdtemp(join(tmpdir(), 'vr-tools-'));
  const files: Record<string, string> = {
    client: pipeline('client', SLOTS_TOOL, sim.address),
    hook: pipeline('hook', hookTool(3000), sim.address),
    hookslow: pipeline('hookslow', hookTool(300), sim.address),
    hookcancel: pipeline('hookcancel', hookTool(1500), sim.address, '', 60_000),
    keep: pipeline(
      'keep',
      SLOTS_TOOL.replace('run: client', 'run: client\n    onBargeIn: keep'),
      sim.address,
      '',
      60_000,
    ),
  };
  for (const [n, y] of Object.entries(files)) {
    await writeFile(join(dir, `${n}.yaml`), y);
  }
  relay = await startTestRelay({ pipelinesDir: dir });
});

afterAll(async () => {
  await relay.close();
  await sim.close();
  await new Promise<void>((r) => hook.close(() => r()));
  await rm(dir, { recursive: true, force: true });
  delete process.env[SECRET_ENV];
});

async function connect(pipeline: string): Promise<RelayClient> {
  const c = await RelayClient.connect({ url: wsUrl(relay), pipeline, token: await testToken() });
  await c.log.waitFor('session.ready');
  return c;
}

describe('client tools over protocol v1', () => {
  it('a late client answer gets a filler, then the answer that uses the result; history is exact', async () => {
    const c = await connect('client');
    c.sendEvent({ type: 'input.text', text: 'any table on friday?' });
    const call = await c.log.waitFor('response.function_call');
    expect(call).toMatchObject({ name: 'get_slots', arguments: '{"day":"fri"}' });
    // The scripted client answers late: the relay speaks a filler meanwhile.
    const filler = await c.log.waitFor('response.filler');
    expect(filler).toMatchObject({ turnId: call.turnId, text: 'One moment please.' });
    setTimeout(() => {
      c.sendEvent({
        type: 'function_call.output',
        callId: call.callId,
        output: '{"slots":["19:00"]}',
      });
    }, 1500);
    const done = await c.log.waitFor('response.done', (e) => e.turnId === call.turnId, 20_000);
    expect(done.text).toBe('Result: {"slots":["19:00"]}.');
    // The caller heard the filler, then the answer: both are the turn's heard text.
    expect(done.heardText).toBe('One moment please. Result: {"slots":["19:00"]}.');
    const metrics = await c.log.waitFor('turn.metrics', (e) => e.turnId === call.turnId);
    expect(metrics.toolCalls).toBe(1);
    expect(metrics.toolMs).toBeGreaterThan(0);
    const types = c.log.events.map((e) => e.type);
    expect(types.indexOf('response.filler')).toBeLessThan(types.indexOf('response.text.delta'));

    // The next request carries the exact exchange: user, call (with the filler heard
    // while it ran), result, answer.
    c.sendEvent({ type: 'input.text', text: 'thanks' });
    await c.log.waitFor('response.function_call', (e) => e.turnId !== call.turnId);
    const req = sim.llm.requests.all.filter((r) => r.sessionId === metrics.turnId.split('.t')[0]);
    const last = req[req.length - 1];
    expect(last?.tools.map((t) => t.name)).toEqual(['get_slots']);
    const convo = last?.messages.filter((m) => m.role !== 'SYSTEM');
    expect(convo?.map((m) => [m.role, m.content, m.toolCallId])).toEqual([
      ['USER', 'any table on friday?', ''],
      ['ASSISTANT', 'One moment please.', ''],
      ['TOOL', '{"slots":["19:00"]}', call.callId],
      ['ASSISTANT', 'Result: {"slots":["19:00"]}.', ''],
      ['USER', 'thanks', ''],
    ]);
    expect(convo?.[1]?.toolCalls).toEqual([
      { id: call.callId, name: 'get_slots', argumentsJson: '{"day":"fri"}' },
    ]);
    await c.close();
  });

  it('an output for no waiting call is a protocol error, the session goes on', async () => {
    const c = await connect('client');
    c.sendEvent({ type: 'function_call.output', callId: 'nope', output: '{}' });
    const err = await c.log.waitFor('error');
    expect(err.code).toBe('RELAY_ERR_PROTOCOL');
    await c.close();
  });
});

describe('webhook tools', () => {
  it('posts a signed call the receiver verifies; the result continues the turn', async () => {
    hookMode = 'ok';
    hookRequests.length = 0;
    const c = await connect('hook');
    c.sendEvent({ type: 'input.text', text: 'friday?' });
    const done = await c.log.waitFor('response.done', undefined, 20_000);
    expect(done.text).toBe('Result: {"slots":["19:00"]}.');
    expect(hookRequests).toHaveLength(1);
    expect(hookRequests[0]?.valid).toBe(true);
    expect(JSON.parse(hookRequests[0]?.body ?? '')).toMatchObject({
      name: 'get_slots',
      arguments: { day: 'fri' },
      turnId: done.turnId,
    });
    expect(verify(hookRequests[0]?.body ?? '', 't=1,v1=' + '0'.repeat(64))).toBe(false);
    await c.close();
  });

  it('HTTP 500 and a timeout become tool errors the model sees', async () => {
    hookMode = '500';
    const c = await connect('hook');
    c.sendEvent({ type: 'input.text', text: 'friday?' });
    const done = await c.log.waitFor('response.done', undefined, 20_000);
    expect(done.text).toBe('Result: {"error":"the webhook answered HTTP 500"}.');
    await c.close();

    hookMode = 'hang';
    const s = await connect('hookslow');
    s.sendEvent({ type: 'input.text', text: 'friday?' });
    const late = await s.log.waitFor('response.done', undefined, 20_000);
    expect(late.text).toBe('Result: {"error":"the tool timed out after 300 ms"}.');
    await s.close();
  });
});

/** The conversation (without the system message) of the last LLM request of a session. */
function lastConversation(turnId: string): [string, string, string, string[]][] {
  const session = turnId.split('.t')[0];
  const reqs = sim.llm.requests.all.filter((r) => r.sessionId === session);
  const last = reqs[reqs.length - 1];
  return (last?.messages ?? [])
    .filter((m) => m.role !== 'SYSTEM')
    .map((m) => [m.role, m.content, m.toolCallId, m.toolCalls.map((c) => c.id)]);
}

describe('barge-in during a tool call', () => {
  it('keep: the call runs on; its result lands in the history and is announced', async () => {
    const c = await connect('keep');
    c.sendEvent({ type: 'input.text', text: 'any table on friday?' });
    const first = await c.log.waitFor('response.function_call');
    // The caller talks over the agent while the tool runs.
    c.sendEvent({ type: 'input.text', text: 'never mind' });
    await c.log.waitFor('response.interrupted', (e) => e.turnId === first.turnId);
    const second = await c.log.waitFor('response.function_call', (e) => e !== first);
    // The kept call is still awaited: its late output is taken, announced, recorded.
    c.sendEvent({ type: 'function_call.output', callId: first.callId, output: '{"slots":[]}' });
    const kept = await c.log.waitFor('response.function_call.kept');
    expect(kept).toEqual({
      type: 'response.function_call.kept',
      turnId: first.turnId,
      callId: first.callId,
      name: 'get_slots',
      ok: true,
    });
    c.sendEvent({ type: 'function_call.output', callId: second.callId, output: '{"slots":[1]}' });
    await c.log.waitFor('response.done', (e) => e.turnId === second.turnId, 20_000);
    expect(c.log.of('response.function_call.cancelled')).toEqual([]);

    c.sendEvent({ type: 'input.text', text: 'thanks' });
    const third = await c.log.waitFor('response.function_call', (e) => e !== first && e !== second);
    expect(lastConversation(third.turnId)).toEqual([
      ['USER', 'any table on friday?', '', []],
      ['USER', 'never mind', '', []],
      ['ASSISTANT', '', '', [first.callId]],
      ['TOOL', '{"slots":[]}', first.callId, []],
      ['ASSISTANT', '', '', [second.callId]],
      ['TOOL', '{"slots":[1]}', second.callId, []],
      ['ASSISTANT', 'Result: {"slots":[1]}.', '', []],
      ['USER', 'thanks', '', []],
    ]);
    await c.close();
  });

  it('cancel: the webhook request is aborted and the history records the cancellation', async () => {
    hookMode = 'hang';
    const aborted = new Promise<void>((r) => (onHookAborted = r));
    const requested = new Promise<void>((r) => (onHookRequest = r));
    const before = hookRequests.length;
    const c = await connect('hookcancel');
    c.sendEvent({ type: 'input.text', text: 'friday?' });
    const started = await c.log.waitFor('response.started');
    await requested;
    onHookRequest = undefined;
    c.sendEvent({ type: 'input.text', text: 'never mind' });
    await c.log.waitFor('response.interrupted', (e) => e.turnId === started.turnId);
    await aborted;
    onHookAborted = undefined;
    hookMode = 'ok';
    const second = await c.log.waitFor('response.done', undefined, 20_000);
    expect(c.log.of('response.function_call.kept')).toEqual([]);
    const callId = (JSON.parse(hookRequests[before]?.body ?? '{}') as { callId: string }).callId;
    expect(lastConversation(second.turnId).slice(0, 4)).toEqual([
      ['USER', 'friday?', '', []],
      ['ASSISTANT', '', '', [callId]],
      ['TOOL', '{"error":"cancelled: the caller interrupted"}', callId, []],
      ['USER', 'never mind', '', []],
    ]);
    await c.close();
  });
});
