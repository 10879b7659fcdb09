import { afterEach, describe, expect, it } from 'vitest';
import type { ControlMessage, SessionRecord } from '../state/index.js';
import { createGatewayFixture, type GatewayFixture } from './gateway-fixture.js';

function session(id: string, tenant: string, createdAtMs: number): SessionRecord {
  return {
    id,
    tenant,
    pipeline: 'default',
    node: 'node-a',
    transport: 'ws',
    state: 'active',
    createdAtMs,
    updatedAtMs: createdAtMs,
    info: { jitter: { delayMs: 40, lost: 0 }, turns: [{ voiceToVoiceMs: 612, sttFinalMs: 180 }] },
  };
}

/** Resolve with the first control message for `nodeId`, or fail after `timeoutMs`. */
async function nextControl(
  fx: GatewayFixture,
  timeoutMs = 2_000,
): Promise<{ message: Promise<ControlMessage>; unsubscribe: () => Promise<void> }> {
  let resolve: (m: ControlMessage) => void = () => undefined;
  const message = new Promise<ControlMessage>((res, rej) => {
    resolve = res;
    setTimeout(() => rej(new Error('no control message in time')), timeoutMs).unref();
  });
  const unsubscribe = await fx.nodeStore.subscribeControl('node-a', (m) => resolve(m));
  return { message, unsubscribe };
}

describe('gateway: sessions', () => {
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  async function seed(f: GatewayFixture): Promise<void> {
    // Registered by the media node; the gateway reads them through the shared backend.
    await f.nodeStore.registerSession(session('s1', 'acme', 1_000));
    await f.nodeStore.registerSession(session('s2', 'globex', 2_000));
    await f.nodeStore.registerSession(session('s3', 'acme', 3_000));
  }

  it('lists sessions, filtered by tenant', async () => {
    fx = await createGatewayFixture();
    await seed(fx);
    const all = await fx.app.inject({ method: 'GET', url: '/v1/sessions', headers: fx.admin });
    expect(all.statusCode).toBe(200);
    expect(all.json<{ sessions: SessionRecord[] }>().sessions.map((s) => s.id)).toEqual([
      's1',
      's2',
      's3',
    ]);
    const acme = await fx.app.inject({
      method: 'GET',
      url: '/v1/sessions?tenant=acme',
      headers: fx.admin,
    });
    expect(acme.json<{ sessions: SessionRecord[] }>().sessions.map((s) => s.id)).toEqual([
      's1',
      's3',
    ]);
  });

  it('gets one session with its info, 404 when unknown', async () => {
    fx = await createGatewayFixture();
    await seed(fx);
    const res = await fx.app.inject({ method: 'GET', url: '/v1/sessions/s2', headers: fx.admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: 's2',
      tenant: 'globex',
      node: 'node-a',
      state: 'active',
      pipeline: 'default',
      info: { jitter: { delayMs: 40 }, turns: [{ voiceToVoiceMs: 612 }] },
    });
    const missing = await fx.app.inject({
      method: 'GET',
      url: '/v1/sessions/nope',
      headers: fx.admin,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'RELAY_ERR_NOT_FOUND' } });
  });

  it('DELETE publishes a kill to the owning node and answers 202', async () => {
    fx = await createGatewayFixture();
    await seed(fx);
    const { message, unsubscribe } = await nextControl(fx);
    const res = await fx.app.inject({
      method: 'DELETE',
      url: '/v1/sessions/s3',
      headers: fx.admin,
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      status: 'terminating',
      sessionId: 's3',
      node: 'node-a',
      delivered: 1,
    });
    await expect(message).resolves.toEqual({ type: 'kill', sessionId: 's3', reason: 'admin' });
    await unsubscribe();
  });

  it('DELETE of an unknown session is 404 and publishes nothing', async () => {
    fx = await createGatewayFixture();
    const received: ControlMessage[] = [];
    const unsubscribe = await fx.nodeStore.subscribeControl('node-a', (m) => {
      received.push(m);
    });
    const res = await fx.app.inject({
      method: 'DELETE',
      url: '/v1/sessions/ghost',
      headers: fx.admin,
    });
    expect(res.statusCode).toBe(404);
    // The bus is ordered: once a sentinel published after the DELETE arrives, anything
    // the DELETE had published would have arrived before it.
    const sentinel: ControlMessage = { type: 'kill', sessionId: 'sentinel', reason: 'test' };
    await fx.nodeStore.publishControl('node-a', sentinel);
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) {
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(received).toEqual([sentinel]);
    await unsubscribe();
  });

  it('DELETE reports delivered 0 when the owning node is not listening', async () => {
    fx = await createGatewayFixture();
    await seed(fx);
    const res = await fx.app.inject({
      method: 'DELETE',
      url: '/v1/sessions/s1',
      headers: fx.admin,
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ node: 'node-a', delivered: 0 });
  });
});
