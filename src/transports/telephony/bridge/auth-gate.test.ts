import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintClientToken } from '../../../auth/client-token.js';
import { RelayError } from '../../../errors/errors.js';
import { TEST_JWT_SECRET } from '../../../testing/relay-harness.js';
import { audioSocketFrame } from '../audiosocket.js';
import { gateUpgrade } from './gate.js';
import type { TelephonyCarriersOptions } from './options.js';
import { validateTelephonyOptions } from './telephony-module.js';
import {
  AUDIOSOCKET_UUID,
  SECRETS,
  callId,
  matches,
  startCarrierEnv,
  type CarrierEnv,
} from './test-support/call-scenario.js';
import {
  SimCall,
  UpgradeRefusedError,
  audioSocket,
  basicHeader,
  exotel,
  tcpLink,
  telnyx,
  twilio,
  vonage,
  wsLink,
  type CarrierProtocol,
} from './test-support/sim-carriers.js';
import { relayToken, until } from './test-support/telephony-relay.js';

let env: CarrierEnv;

beforeAll(async () => {
  env = await startCarrierEnv();
});
afterAll(async () => {
  await env.relay.close();
});

function target(): { media: string; audioSocketPort: number | undefined } {
  return { media: env.relay.media, audioSocketPort: env.relay.audioSocketPort };
}

async function refusedWith(p: CarrierProtocol): Promise<number> {
  try {
    const link = await p.connect(target());
    link.close();
  } catch (err) {
    if (err instanceof UpgradeRefusedError) {
      return err.status;
    }
    throw err;
  }
  throw new Error('expected the upgrade to be refused');
}

async function counter(name: 'framesIn' | 'sessionsTotal'): Promise<number> {
  const m = await env.relay.relay.metrics[name].get();
  return m.values.reduce((a, v) => a + v.value, 0);
}

async function dropped(reason: string): Promise<number> {
  const m = await env.relay.relay.metrics.framesDropped.get();
  return m.values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
}

describe('carrier credentials are checked before the handshake', () => {
  it('Twilio: a missing or wrong X-Twilio-Signature is 401', async () => {
    const bad = twilio({
      authToken: SECRETS.twilioAuthToken,
      signWith: 'not-the-auth-token',
      token: env.token,
      callSid: callId('CA'),
    });
    expect(await refusedWith(bad)).toBe(401);
    await expect(wsLink(`ws://${env.relay.media}/v1/telephony/twilio`)).rejects.toMatchObject({
      status: 401,
    });
  });

  it('Vonage and Plivo need a relay credential in the path: none, a bad one or a long-lived one is 401', async () => {
    expect(await refusedWith(vonage({ call: 'v1' }))).toBe(401);
    expect(await refusedWith(vonage({ call: 'v2', pathToken: 'not.a.token' }))).toBe(401);
    // Paths only admit short-lived client tokens by default (they end up in logs).
    expect(await refusedWith(vonage({ call: 'v3', pathToken: env.token }))).toBe(401);
    await expect(wsLink(`ws://${env.relay.media}/v1/telephony/plivo`)).rejects.toMatchObject({
      status: 401,
    });
  });

  it('a path token for another pipeline is 403, an unknown pipeline 404, an unknown carrier path 404', async () => {
    const t2 = await mintClientToken({
      secret: TEST_JWT_SECRET,
      tenant: 'narrow',
      subject: 's',
      pipelines: ['other'],
      scopes: ['session:create'],
      ttlSec: 60,
    });
    expect(await refusedWith(vonage({ call: 'v4', pathToken: t2.token }))).toBe(403);
    await expect(
      wsLink(`ws://${env.relay.media}/v1/telephony/vonage/${env.pathToken}?pipeline=nope`),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      wsLink(`ws://${env.relay.media}/v1/telephony/vonage/${env.pathToken}/extra`),
    ).rejects.toMatchObject({ status: 404 });
    await expect(wsLink(`ws://${env.relay.media}/v1/telephony/genesys`)).rejects.toMatchObject({
      status: 404,
    });
  });

  it('Exotel: wrong Basic credentials are 401; Telnyx: a wrong stream token is 401 even with a valid path token', async () => {
    expect(
      await refusedWith(
        exotel({ ...SECRETS.exotel, password: 'wrong', call: 'e1', token: env.token }),
      ),
    ).toBe(401);
    expect(
      await refusedWith(
        telnyx({ streamingAuthToken: 'wrong', pathToken: env.pathToken, callControlId: 't1' }),
      ),
    ).toBe(401);
    await expect(
      wsLink(`ws://${env.relay.media}/v1/telephony/freeswitch`, {
        headers: { authorization: basicHeader('a', 'b') },
      }),
    ).rejects.toMatchObject({ status: 401 });
  });
});

describe('a relay credential that comes with the start message', () => {
  it('Twilio without a token parameter: nothing is processed, the socket closes 1008, no session', async () => {
    const sessionsBefore = await counter('sessionsTotal');
    const framesBefore = await counter('framesIn');
    const earlyBefore = await dropped('carrier_media_before_start');
    const p = twilio({ authToken: SECRETS.twilioAuthToken, callSid: callId('CA') });
    const link = await p.connect(target());
    // Media before the start is dropped, never decoded.
    link.send(p.media(Buffer.alloc(160, 0xff), 0, 0));
    for (const m of p.opening()) {
      link.send(m);
    }
    for (let i = 1; i < 20; i++) {
      link.send(p.media(Buffer.alloc(160, 0xff), i, i * 20));
    }
    expect(await link.closed).toBe(1008);
    expect(await counter('sessionsTotal')).toBe(sessionsBefore);
    expect(await counter('framesIn')).toBe(framesBefore);
    expect(await dropped('carrier_media_before_start')).toBe(earlyBefore + 1);
  });

  it('Twilio with an invalid token parameter closes 1008', async () => {
    const p = twilio({
      authToken: SECRETS.twilioAuthToken,
      token: 'vr_nope',
      callSid: callId('CA'),
    });
    const call = await SimCall.dial(p, target());
    expect(await call.link.closed).toBe(1008);
  });

  it('AudioSocket: an unknown UUID is hung up without a session (fail closed)', async () => {
    const before = await counter('sessionsTotal');
    const link = await tcpLink(env.relay.audioSocketPort ?? 0);
    link.send(audioSocketFrame(0x01, Buffer.from('11112222333344445555666677778888', 'hex')));
    link.send(audioSocketFrame(0x10, Buffer.alloc(320)));
    await link.closed;
    expect(await counter('sessionsTotal')).toBe(before);
  });

  it('AudioSocket: the configured UUID gets a session, and a hang-up message ends it', async () => {
    const p = audioSocket({ uuid: AUDIOSOCKET_UUID });
    const call = await SimCall.dial(p, target());
    const observed = await env.relay.calls.find(matches(p));
    await observed.log.waitFor('session.ready');
    const id = observed.info.sessionId ?? '';
    expect(env.relay.relay.sessions?.get(id)).toBeDefined();
    call.link.send(audioSocketFrame(0x00));
    await until(() => env.relay.relay.sessions?.get(id) === undefined, 5_000, 'session end');
    call.link.close();
  });
});

describe('bad input', () => {
  it('errors the carrier reports are not held against a call; malformed messages are, then 1008', async () => {
    const p = telnyx({
      streamingAuthToken: SECRETS.telnyxStreamToken,
      pathToken: env.pathToken,
      callControlId: callId('v3:'),
    });
    const call = await SimCall.dial(p, target());
    const observed = await env.relay.calls.find(matches(p));
    const reported = JSON.stringify({
      event: 'error',
      payload: { code: 100002, title: 'unknown_error', detail: 'An unknown error occurred' },
    });
    for (let i = 0; i < 120; i++) {
      call.send(reported);
    }
    call.dtmf('9');
    await observed.log.waitFor('dtmf', (e) => e.digit === '9', 5_000);
    expect(call.link.isOpen).toBe(true);
    for (let i = 0; i < 120; i++) {
      call.send('{"event":"bogus"}');
    }
    expect(await call.link.closed).toBe(1008);
    await until(
      () => env.relay.relay.sessions?.get(observed.info.sessionId ?? '') === undefined,
      5_000,
      'session end',
    );
  });
});

describe('gateUpgrade (pure)', () => {
  const carriers: TelephonyCarriersOptions = {
    'asterisk-ws': { basic: SECRETS.asterisk },
    exotel: { allowedAddresses: ['10.1.2.3'] },
    plivo: { allowedAddresses: ['10.1.2.3'] },
  };
  const req = (headers: Record<string, string>, remote = '127.0.0.1'): IncomingMessage =>
    ({ headers, url: '/', socket: { remoteAddress: remote } }) as unknown as IncomingMessage;
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (err) {
      return err instanceof RelayError ? err.code : String(err);
    }
    return 'passed';
  };

  it('chan_websocket has no start parameters: Basic alone is not enough without a service token', () => {
    const auth = {
      authorization: basicHeader(SECRETS.asterisk.username, SECRETS.asterisk.password),
    };
    expect(
      code(() => gateUpgrade('asterisk-ws', carriers, req(auth), '/v1/telephony/asterisk')),
    ).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(gateUpgrade('asterisk-ws', carriers, req(auth), '/v1/telephony/asterisk/tok')).toEqual({
      kind: 'path-token',
      token: 'tok',
    });
  });

  it('an address allowlist is the carrier credential, and a mismatch is 403', () => {
    expect(
      gateUpgrade('exotel', carriers, req({}, '::ffff:10.1.2.3'), '/v1/telephony/exotel'),
    ).toEqual({
      kind: 'deferred',
    });
    expect(
      code(() => gateUpgrade('exotel', carriers, req({}, '10.9.9.9'), '/v1/telephony/exotel')),
    ).toBe('RELAY_ERR_FORBIDDEN');
    expect(code(() => gateUpgrade('vonage', carriers, req({}), '/v1/telephony/vonage'))).toBe(
      'RELAY_ERR_NOT_FOUND',
    );
  });

  it('options that could never authenticate are refused at start-up', () => {
    expect(() => validateTelephonyOptions({ carriers: { twilio: { authToken: '' } } })).toThrow(
      /authToken/,
    );
    expect(() => validateTelephonyOptions({ audioSocket: { port: 0 } })).toThrow(/calls/);
    expect(() => validateTelephonyOptions({ audioSocket: { port: 0, serviceToken: 'x' } })).toThrow(
      /allowedAddresses/,
    );
  });
});

describe('drain', () => {
  it('refuses new carrier upgrades with 503 once the relay drains', async () => {
    const token = await relayToken();
    await env.relay.relay.drain(0);
    expect(
      await refusedWith(
        twilio({ authToken: SECRETS.twilioAuthToken, token, callSid: callId('CA') }),
      ),
    ).toBe(503);
  });
});
