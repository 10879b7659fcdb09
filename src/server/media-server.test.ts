import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, UpgradeRefused } from '../client/relay-client.js';
import { scriptedAudio } from '../media/speech-script.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

let relay: Relay;
beforeAll(async () => {
  relay = await startTestRelay({ limits: { maxSessionsPerKey: 2 } });
});
afterAll(async () => {
  await relay.close();
});

async function refused(o: Parameters<typeof RelayClient.connect>[0]): Promise<UpgradeRefused> {
  try {
    const c = await RelayClient.connect(o);
    await c.close();
  } catch (err) {
    if (err instanceof UpgradeRefused) {
      return err;
    }
    throw err;
  }
  throw new Error('expected the upgrade to be refused');
}

/** A bare HTTP upgrade request, as a client with no WebSocket library would send it. */
function rawUpgrade(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString()) as unknown,
        }),
      );
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}

async function sessionsTotal(): Promise<number> {
  const m = await relay.metrics.sessionsTotal.get();
  return m.values.reduce((a, v) => a + v.value, 0);
}

describe('media listener: refusals before the handshake', () => {
  it('401 without credentials, and no session is created', async () => {
    const before = await sessionsTotal();
    const res = await rawUpgrade(`http://${relay.mediaAddress}/v1/sessions?pipeline=sim`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'RELAY_ERR_UNAUTHENTICATED' } });
    expect(typeof (res.body as { error: { message: unknown } }).error.message).toBe('string');
    expect(relay.sessions?.size).toBe(0);
    expect(await sessionsTotal()).toBe(before);
  });

  it('401 for an expired token, 401 for a bad signature', async () => {
    const expired = await refused({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken({ expiresInSec: -60 }),
    });
    expect(expired.status).toBe(401);
    expect(expired.body.error?.code).toBe('RELAY_ERR_TOKEN_EXPIRED');
    const token = await testToken();
    const forged = await refused({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: token.slice(0, -4) + 'AAAA',
    });
    expect(forged.status).toBe(401);
  });

  it('403 for a pipeline the token does not allow, 404 for an unknown one, 400 without one', async () => {
    const notAllowed = await refused({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken({ pipelines: ['other'] }),
    });
    expect(notAllowed.status).toBe(403);
    const unknown = await refused({
      url: wsUrl(relay),
      pipeline: 'nope',
      token: await testToken(),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('RELAY_ERR_NOT_FOUND');
    const none = await refused({ url: wsUrl(relay), pipeline: '', token: await testToken() });
    expect(none.status).toBe(400);
  });

  it('403 for a token without the session scope', async () => {
    const r = await refused({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken({ scopes: ['token:create'] }),
    });
    expect(r.status).toBe(403);
  });

  it('429 with Retry-After over the per-credential session limit', async () => {
    const token = await testToken({ subject: 'limited' });
    const a = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
    const b = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token });
    const r = await refused({ url: wsUrl(relay), pipeline: 'sim', token });
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await a.close();
    await b.close();
  });

  it('accepts the subprotocol token from a client that cannot set headers and answers voice-relay.v1 only', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
      via: 'subprotocol',
    });
    expect(c.protocol).toBe('voice-relay.v1');
    const ready = await c.log.waitFor('session.ready');
    expect(ready.pipeline).toBe('sim');
    await c.close();
  });

  it('refuses a disallowed Origin with 403', async () => {
    const r2 = await startTestRelay({ allowedOrigins: ['https://app.example'] });
    try {
      const token = await testToken();
      const bad = await refused({
        url: wsUrl(r2),
        pipeline: 'sim',
        token,
        origin: 'https://evil.example',
      });
      expect(bad.status).toBe(403);
      const ok = await RelayClient.connect({
        url: wsUrl(r2),
        pipeline: 'sim',
        token,
        origin: 'https://app.example',
      });
      await ok.close();
    } finally {
      await r2.close();
    }
  });
});

describe('media listener: sessions', () => {
  it('carries a spoken turn: transcript, reply text, reply audio frames and the waterfall', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    const audio = scriptedAudio([{ silenceMs: 200 }, { speechMs: 700 }, { silenceMs: 900 }], 16000);
    await c.streamRealtime(audio.pcm, 16000);
    const final = await c.log.waitFor('transcript.final');
    expect(final.text).not.toBe('');
    const done = await c.log.waitFor('response.done');
    expect(done.text).toBe(`You said: ${final.text}.`);
    const m = await c.log.waitFor('turn.metrics');
    expect(m.voiceToVoiceMs).toBeGreaterThan(0);
    expect(c.audio.length).toBeGreaterThan(0);
    expect(c.audio.every((a) => a.payload.length === 640)).toBe(true);
    expect(c.audio.map((a) => a.seq)).toEqual(c.audio.map((_, i) => i));
    await c.close();
  });

  it('answers a malformed frame or event with an error event and keeps the session', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    c.ws.send(Buffer.alloc(5));
    expect((await c.log.waitFor('error')).code).toBe('RELAY_ERR_PROTOCOL');
    c.ws.send('{"type":"nope"}');
    await c.log.waitFor('error', () => true, 5_000, 2);
    c.sendEvent({ type: 'input.text', text: 'still here' });
    expect((await c.log.waitFor('response.done')).text).toBe('You said: still here.');
    await c.close();
  });

  it('closes with 1009 on an oversized message', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    c.ws.send(Buffer.alloc(70 * 1024));
    expect((await c.closed).code).toBe(1009);
  });

  it('ends a call whose token expires with session.closing then 1008', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken({ expiresInSec: 1 }),
    });
    const closing = await c.log.waitFor('session.closing', () => true, 5_000);
    expect(closing).toMatchObject({ reason: 'token expired', code: 1008 });
    expect((await c.closed).code).toBe(1008);
  });
});
