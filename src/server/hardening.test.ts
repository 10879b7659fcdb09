import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../auth/loopback.js';
import { RelayClient } from '../client/relay-client.js';
import { ConfigError } from '../config/pipelines.js';
import { ADMIN_HEADERS, createApiKey, mintToken, refusalOf } from '../testing/gateway-client.js';
import {
  startTestRelay,
  TEST_ADMIN_KEY,
  TEST_JWT_SECRET,
  testToken,
  wsUrl,
} from '../testing/relay-harness.js';
import { loadRelayConfig } from './relay-config.js';
import type { Relay } from './relay.js';

let relay: Relay;

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay?.close();
});

/** One raw HTTP request (repeated headers as written); resolves to the status code. */
function rawStatus(hostPort: string, lines: string[]): Promise<number> {
  const [host, port] = [
    hostPort.slice(0, hostPort.lastIndexOf(':')),
    hostPort.slice(hostPort.lastIndexOf(':') + 1),
  ];
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port: Number(port) });
    let data = '';
    sock.on('data', (b: Buffer) => {
      data += b.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m?.[1] !== undefined) {
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on('error', reject);
    sock.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('credentials', () => {
  it('repeated Authorization headers are refused with 400 (media upgrade and gateway)', async () => {
    const token = await testToken();
    const media = relay.mediaAddress ?? '';
    const upgrade = [
      'GET /v1/sessions?pipeline=sim HTTP/1.1',
      `Host: ${media}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      `Authorization: Bearer ${token}`,
      'Authorization: Bearer vr_someone_else',
    ];
    expect(await rawStatus(media, upgrade)).toBe(400);
    const gw = new URL(relay.gatewayUrl ?? '');
    const list = [
      'GET /v1/sessions HTTP/1.1',
      `Host: ${gw.host}`,
      `Authorization: Bearer ${TEST_ADMIN_KEY}`,
      'Authorization: Bearer wrong',
    ];
    expect(await rawStatus(gw.host, list)).toBe(400);
  });

  it('a client token issued in the future is refused, in the query and in the header', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      tenant: 'acme',
      pipelines: '*',
      scope: 'session:create',
      typ: 'client',
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('future')
      .setIssuedAt(now + 23 * 3600)
      .setExpirationTime(now + 24 * 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    for (const via of ['query', 'header'] as const) {
      const r = await refusalOf(
        RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token, via }),
      );
      expect(r.status).toBe(401);
    }
  });

  it('revoking an API key ends its live sessions (and those of its tokens) with 1008', async () => {
    const gw = relay.gatewayUrl ?? '';
    const { key, keyId } = await createApiKey(gw, {
      tenant: 'acme',
      scopes: ['session:create', 'token:create'],
    });
    const minted = await mintToken(gw, key, { pipelines: '*', subject: 'browser' });
    const direct = await RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token: key });
    const viaToken = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: minted,
    });
    await direct.log.waitFor('session.ready');
    await viaToken.log.waitFor('session.ready');
    const res = await fetch(`${gw}/v1/keys/${keyId}/revoke`, {
      method: 'POST',
      headers: ADMIN_HEADERS,
    });
    expect(res.status).toBe(200);
    expect((await direct.closed).code).toBe(1008);
    expect((await viaToken.closed).code).toBe(1008);
    const again = await refusalOf(
      RelayClient.connect({ url: wsUrl(relay), pipeline: 'sim', token: minted }),
    );
    expect(again.status).toBe(401);
  });

  it('the demo token route admits loopback peers only', () => {
    for (const a of ['127.0.0.1', '127.9.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopbackAddress(a)).toBe(true);
    }
    for (const a of ['10.0.0.5', '::ffff:192.168.1.2', 'fe80::1', '', undefined]) {
      expect(isLoopbackAddress(a)).toBe(false);
    }
  });
});

describe('frames', () => {
  it('a client frame with reserved header bits set closes the session with 4002', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    const frame = Buffer.alloc(12 + 640);
    frame.writeUInt16BE(0x0001, 8);
    c.ws.send(frame);
    expect((await c.closed).code).toBe(4002);
    const closing = c.log.of('session.closing');
    expect(closing[0]?.code).toBe(4002);
  });
});

describe('config files', () => {
  it('adminKeys may be one comma-separated string; the asterisk carrier key is accepted; unknown keys list the valid ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vr-config-'));
    try {
      const k1 = 'vra_first-admin-key-0123456789abcdef01234';
      const k2 = 'vra_second-admin-key-0123456789abcdef0123';
      const good = join(dir, 'good.yaml');
      await writeFile(
        good,
        `adminKeys: "${k1}, ${k2}"\ntelephony:\n  carriers:\n    asterisk: { serviceToken: tok }\n`,
      );
      const config = loadRelayConfig(['--config', good], {});
      expect(config.adminKeys).toEqual([k1, k2]);
      expect(config.telephony?.carriers?.['asterisk-ws']).toEqual({ serviceToken: 'tok' });
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'telephony:\n  carriers:\n    genesys: {}\n');
      let err: unknown;
      try {
        loadRelayConfig(['--config', bad], {});
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const problem = (err as ConfigError).problems[0];
      expect(problem?.field).toBe('telephony.carriers.genesys');
      expect(problem?.message).toContain('asterisk');
      expect(problem?.message).toContain('twilio');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
