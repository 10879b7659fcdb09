import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayError } from '../errors/index.js';
import { mintClientToken } from './client-token.js';
import { JwtVerifier } from './jwt.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const now = (): number => Math.floor(Date.now() / 1000);

function hs256(payload: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

async function expectCode(p: Promise<unknown>, code: string): Promise<RelayError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  expect((err as RelayError).code).toBe(code);
  return err as RelayError;
}

function without(payload: JWTPayload, ...claims: string[]): JWTPayload {
  const copy: JWTPayload = { ...payload };
  for (const c of claims) {
    delete copy[c];
  }
  return copy;
}

const base = (): JWTPayload => ({
  sub: 'user-1',
  tenant: 'acme',
  scope: 'session:create token:create',
  pipelines: ['default'],
  max_sessions: 3,
  exp: now() + 60,
});

describe('JwtVerifier HS256', () => {
  const verifier = new JwtVerifier({ hs256Secret: SECRET });

  it('maps claims to a principal', async () => {
    const p = await verifier.verify(await hs256(base()));
    expect(p).toMatchObject({
      kind: 'jwt',
      subject: 'user-1',
      tenant: 'acme',
      pipelines: ['default'],
      limits: { maxSessions: 3 },
    });
    expect(p.scopes.sort()).toEqual(['session:create', 'token:create']);
    expect(p.expiresAtMs).toBeGreaterThan(Date.now());
  });

  it('accepts a scopes array and "*" pipelines', async () => {
    const p = await verifier.verify(
      await hs256({ ...without(base(), 'scope'), scopes: ['session:create'], pipelines: '*' }),
    );
    expect(p.scopes).toEqual(['session:create']);
    expect(p.pipelines).toBe('*');
  });

  it('denies all pipelines when the claim is missing', async () => {
    const p = await verifier.verify(await hs256(without(base(), 'pipelines')));
    expect(p.pipelines).toEqual([]);
  });

  it('rejects expired tokens with RELAY_ERR_TOKEN_EXPIRED', async () => {
    await expectCode(
      verifier.verify(await hs256({ ...base(), exp: now() - 60 })),
      'RELAY_ERR_TOKEN_EXPIRED',
    );
  });

  it('honours the clock tolerance', async () => {
    await expect(verifier.verify(await hs256({ ...base(), exp: now() - 2 }))).resolves.toBeTruthy();
    const strict = new JwtVerifier({ hs256Secret: SECRET, clockToleranceSec: 0 });
    await expectCode(
      strict.verify(await hs256({ ...base(), exp: now() - 2 })),
      'RELAY_ERR_TOKEN_EXPIRED',
    );
  });

  it('rejects tokens without exp', async () => {
    const err = await expectCode(
      verifier.verify(await hs256(without(base(), 'exp'))),
      'RELAY_ERR_UNAUTHENTICATED',
    );
    expect(err.message).toBe('token has no exp');
  });

  it('rejects a bad signature', async () => {
    await expectCode(
      verifier.verify(await hs256(base(), 'another-secret-0123456789-abcdefghijkl')),
      'RELAY_ERR_UNAUTHENTICATED',
    );
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await hs256(base())).split('.');
    const forged = Buffer.from(JSON.stringify({ ...base(), tenant: 'evil' })).toString('base64url');
    await expectCode(verifier.verify(`${h}.${forged}.${s}`), 'RELAY_ERR_UNAUTHENTICATED');
  });

  it('rejects wrong algorithms (HS512, alg none)', async () => {
    const hs512 = await new SignJWT(base())
      .setProtectedHeader({ alg: 'HS512' })
      .sign(new TextEncoder().encode(SECRET));
    await expectCode(verifier.verify(hs512), 'RELAY_ERR_UNAUTHENTICATED');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify(base()),
    ).toString('base64url')}.x`;
    await expectCode(verifier.verify(none), 'RELAY_ERR_UNAUTHENTICATED');
  });

  it('rejects tokens without tenant', async () => {
    const err = await expectCode(
      verifier.verify(await hs256(without(base(), 'tenant'))),
      'RELAY_ERR_UNAUTHENTICATED',
    );
    expect(err.details).toEqual({ claim: 'tenant' });
  });

  it('checks issuer and audience when configured', async () => {
    const v = new JwtVerifier({ hs256Secret: SECRET, issuer: 'gw', audience: 'relay' });
    await expect(
      v.verify(await hs256({ ...base(), iss: 'gw', aud: 'relay' })),
    ).resolves.toBeTruthy();
    await expectCode(
      v.verify(await hs256({ ...base(), iss: 'x', aud: 'relay' })),
      'RELAY_ERR_UNAUTHENTICATED',
    );
    await expectCode(v.verify(await hs256(base())), 'RELAY_ERR_UNAUTHENTICATED');
  });

  it('refuses short secrets and empty config', () => {
    expect(() => new JwtVerifier({ hs256Secret: 'short' })).toThrow(RelayError);
    expect(() => new JwtVerifier({})).toThrow(RelayError);
  });

  it('requireClientToken accepts only minted short-lived client tokens', async () => {
    const minted = await mintClientToken({
      secret: SECRET,
      tenant: 'acme',
      subject: 'browser-1',
      pipelines: ['default'],
      scopes: ['session:create'],
      ttlSec: 300,
    });
    const p = await verifier.verify(minted.token, { requireClientToken: true });
    expect(p).toMatchObject({ tenant: 'acme', subject: 'browser-1', scopes: ['session:create'] });
    await expectCode(
      verifier.verify(await hs256(base()), { requireClientToken: true }),
      'RELAY_ERR_UNAUTHENTICATED',
    );
    const longLived = await hs256({ ...base(), typ: 'client', iat: now(), exp: now() + 7200 });
    await expectCode(
      verifier.verify(longLived, { requireClientToken: true }),
      'RELAY_ERR_UNAUTHENTICATED',
    );
  });

  it('mintClientToken validates its input', async () => {
    const opts = {
      secret: SECRET,
      tenant: 'acme',
      subject: 's',
      pipelines: '*' as const,
      scopes: ['session:create'],
    };
    await expectCode(mintClientToken({ ...opts, ttlSec: 3601 }), 'RELAY_ERR_BAD_REQUEST');
    await expectCode(mintClientToken({ ...opts, ttlSec: 0 }), 'RELAY_ERR_BAD_REQUEST');
    await expectCode(mintClientToken({ ...opts, secret: 'x', ttlSec: 60 }), 'RELAY_ERR_CONFIG');
    const t = await mintClientToken({ ...opts, ttlSec: 60, maxSessions: 2 });
    expect(t.expiresAtMs).toBeGreaterThan(Date.now() + 50_000);
    expect((await verifier.verify(t.token)).limits).toEqual({ maxSessions: 2 });
  });
});

describe('JwtVerifier with a JWKS file (RS256, EdDSA)', () => {
  let dir: string;
  let rsaKey: CryptoKey;
  let edKey: CryptoKey;
  let verifier: JwtVerifier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vr-jwks-'));
    const rsa = await generateKeyPair('RS256');
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    rsaKey = rsa.privateKey;
    edKey = ed.privateKey;
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ed.publicKey)), kid: 'ed-1', alg: 'EdDSA', use: 'sig' },
    ];
    const file = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ keys }));
    verifier = new JwtVerifier({ jwksFile: file, hs256Secret: SECRET });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies RS256', async () => {
    const token = await new SignJWT(base())
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(rsaKey);
    expect((await verifier.verify(token)).tenant).toBe('acme');
  });

  it('verifies EdDSA', async () => {
    const token = await new SignJWT(base())
      .setProtectedHeader({ alg: 'EdDSA', kid: 'ed-1' })
      .sign(edKey);
    expect((await verifier.verify(token)).subject).toBe('user-1');
  });

  it('rejects an unknown signing key and expired asymmetric tokens', async () => {
    const other = await generateKeyPair('RS256');
    const token = await new SignJWT(base())
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(other.privateKey);
    await expectCode(verifier.verify(token), 'RELAY_ERR_UNAUTHENTICATED');
    const expired = await new SignJWT({ ...base(), exp: now() - 60 })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'ed-1' })
      .sign(edKey);
    await expectCode(verifier.verify(expired), 'RELAY_ERR_TOKEN_EXPIRED');
  });

  it('never accepts asymmetric-signed tokens as client tokens', async () => {
    const token = await new SignJWT({ ...base(), typ: 'client', iat: now() })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(rsaKey);
    await expectCode(
      verifier.verify(token, { requireClientToken: true }),
      'RELAY_ERR_UNAUTHENTICATED',
    );
  });

  it('rejects RS256 when only HS256 is configured', async () => {
    const token = await new SignJWT(base())
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(rsaKey);
    await expectCode(
      new JwtVerifier({ hs256Secret: SECRET }).verify(token),
      'RELAY_ERR_UNAUTHENTICATED',
    );
  });

  it('reports an unreadable JWKS file as RELAY_ERR_CONFIG', () => {
    expect(() => new JwtVerifier({ jwksFile: join(dir, 'missing.json') })).toThrow(
      expect.objectContaining({ code: 'RELAY_ERR_CONFIG' }),
    );
  });
});
