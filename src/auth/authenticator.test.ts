import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { RelayError } from '../errors/index.js';
import { assertAdminKeysValid, generateAdminKey, verifyAdmin } from './admin.js';
import { generateApiKey, type ApiKeyRecord, type KeyLookup } from './api-keys.js';
import { Authenticator } from './authenticator.js';
import { mintClientToken } from './client-token.js';
import {
  assertGrantWithin,
  authorize,
  authorizeAdmin,
  SCOPES,
  type Principal,
} from './principal.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

function lookupOf(...records: ApiKeyRecord[]): KeyLookup {
  const map = new Map(records.map((r) => [r.keyId, r]));
  return { getApiKey: (id) => Promise.resolve(map.get(id)) };
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (e) {
    return e instanceof RelayError ? e.code : 'not-a-relay-error';
  }
}

function longLivedJwt(): Promise<string> {
  return new SignJWT({ tenant: 'acme', scope: 'session:create', pipelines: ['default'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

const key = generateApiKey({ tenant: 'acme', scopes: ['session:create'], pipelines: ['default'] });
const auth = new Authenticator({ jwt: { hs256Secret: SECRET }, keys: lookupOf(key.record) });

describe('Authenticator', () => {
  it('dispatches by shape: JWT, API key, other', async () => {
    expect((await auth.authenticate(await longLivedJwt())).kind).toBe('jwt');
    expect((await auth.authenticate(key.key)).kind).toBe('api-key');
    expect(await codeOf(auth.authenticate('hello'))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(await codeOf(auth.authenticate(''))).toBe('RELAY_ERR_UNAUTHENTICATED');
  });

  it('refuses JWTs when JWT auth is not configured', async () => {
    const keysOnly = new Authenticator({ keys: lookupOf() });
    expect(await codeOf(keysOnly.authenticate(await longLivedJwt()))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
  });

  it('accepts only minted client tokens from the query string', async () => {
    const minted = await mintClientToken({
      secret: SECRET,
      tenant: 'acme',
      subject: 'browser',
      pipelines: ['default'],
      scopes: [SCOPES.SESSION_CREATE],
      ttlSec: 120,
    });
    const ok = await auth.authenticateRequest({
      headers: {},
      url: `/v1/sessions?pipeline=default&token=${minted.token}`,
    });
    expect(ok).toMatchObject({
      source: 'query',
      subprotocol: false,
      principal: { tenant: 'acme' },
    });
    const long = await longLivedJwt();
    expect(await codeOf(auth.authenticateRequest({ headers: {}, url: `/?token=${long}` }))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
    expect(await codeOf(auth.authenticateRequest({ headers: {}, url: `/?token=${key.key}` }))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
    // The same long-lived token is fine in a header or subprotocol.
    const viaProto = await auth.authenticateRequest({
      headers: { 'sec-websocket-protocol': `voice-relay.v1, bearer.${long}` },
    });
    expect(viaProto.subprotocol).toBe(true);
  });

  it('keeps admin and client credentials apart', async () => {
    const adminKey = generateAdminKey();
    const admins = [adminKey];
    assertAdminKeysValid(admins);
    const admin = verifyAdmin(adminKey, admins);
    expect(admin).toMatchObject({ kind: 'admin', scopes: ['admin'] });
    authorizeAdmin(admin);
    // Admin secret is not a client credential.
    expect(await codeOf(auth.authenticate(adminKey))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(await codeOf(() => authorize(admin, { scope: SCOPES.SESSION_CREATE }))).toBe(
      'RELAY_ERR_FORBIDDEN',
    );
    // Client credentials never pass the admin check, even if configured as admin keys.
    const jwt = await longLivedJwt();
    expect(await codeOf(() => verifyAdmin(key.key, [key.key]))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(await codeOf(() => verifyAdmin(jwt, [jwt]))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(() => assertAdminKeysValid([key.key])).toThrow(RelayError);
    expect(() => assertAdminKeysValid(['short'])).toThrow(RelayError);
    const client = await auth.authenticate(key.key);
    expect(await codeOf(() => authorizeAdmin(client))).toBe('RELAY_ERR_FORBIDDEN');
    // Wrong admin key, empty list.
    expect(await codeOf(() => verifyAdmin(generateAdminKey(), admins))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
    expect(await codeOf(() => verifyAdmin(adminKey, []))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(verifyAdmin(adminKey, [generateAdminKey(), adminKey]).subject).toBe('admin#1');
  });
});

describe('authorize', () => {
  const p: Principal = {
    kind: 'jwt',
    subject: 's',
    tenant: 't',
    scopes: ['session:create'],
    pipelines: ['a', 'b'],
  };

  it('allows a granted scope on an allowed pipeline', () => {
    authorize(p, { scope: SCOPES.SESSION_CREATE, pipeline: 'a' });
    authorize({ ...p, pipelines: '*' }, { scope: SCOPES.SESSION_CREATE, pipeline: 'zzz' });
  });

  it('forbids other pipelines and missing scopes', async () => {
    expect(await codeOf(() => authorize(p, { scope: SCOPES.SESSION_CREATE, pipeline: 'c' }))).toBe(
      'RELAY_ERR_FORBIDDEN',
    );
    expect(await codeOf(() => authorize(p, { scope: SCOPES.TOKEN_CREATE }))).toBe(
      'RELAY_ERR_FORBIDDEN',
    );
  });

  it('assertGrantWithin forbids escalation', async () => {
    const minter: Principal = {
      ...p,
      scopes: ['session:create', 'token:create'],
      limits: { maxSessions: 3 },
    };
    assertGrantWithin(minter, { pipelines: ['a'], scopes: ['session:create'], maxSessions: 2 });
    expect(
      await codeOf(() => assertGrantWithin(minter, { pipelines: '*', scopes: [], maxSessions: 1 })),
    ).toBe('RELAY_ERR_FORBIDDEN');
    expect(
      await codeOf(() =>
        assertGrantWithin(minter, { pipelines: ['a'], scopes: ['admin'], maxSessions: 1 }),
      ),
    ).toBe('RELAY_ERR_FORBIDDEN');
    expect(await codeOf(() => assertGrantWithin(minter, { pipelines: ['a'], scopes: [] }))).toBe(
      'RELAY_ERR_FORBIDDEN',
    );
  });
});
