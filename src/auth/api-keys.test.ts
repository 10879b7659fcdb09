import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { RelayError } from '../errors/index.js';
import {
  apiKeyMatches,
  generateApiKey,
  hashApiKey,
  parseApiKey,
  verifyApiKey,
  type ApiKeyRecord,
  type KeyLookup,
} from './api-keys.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

function lookupOf(...records: ApiKeyRecord[]): KeyLookup {
  const map = new Map(records.map((r) => [r.keyId, r]));
  return { getApiKey: (id) => Promise.resolve(map.get(id)) };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof RelayError ? e.code : 'not-a-relay-error'),
  );
}

describe('API keys', () => {
  it('generates vr_<keyId>_<secret> and stores only a hash', () => {
    const { key, record } = generateApiKey({
      tenant: 'acme',
      scopes: ['session:create'],
      pipelines: ['default'],
      maxSessions: 5,
      description: 'test',
    });
    expect(key).toMatch(/^vr_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKey(key);
    expect(parsed?.keyId).toBe(record.keyId);
    expect(JSON.stringify(record)).not.toContain(parsed?.secret ?? '???');
    expect(record.hash).toMatch(/^sha256:/);
    expect(record).toMatchObject({ tenant: 'acme', revoked: false, maxSessions: 5 });
  });

  it('parses keys whose secret contains underscores', () => {
    expect(parseApiKey(`vr_0123456789abcdef_${'a_b-'.repeat(11)}`)).toEqual({
      keyId: '0123456789abcdef',
      secret: 'a_b-'.repeat(11),
    });
    expect(parseApiKey('vr_short')).toBeUndefined();
    expect(parseApiKey('vr__x')).toBeUndefined();
  });

  it('verifies a good key to an api-key principal', async () => {
    const { key, record } = generateApiKey({
      tenant: 'acme',
      scopes: ['session:create'],
      pipelines: '*',
      maxSessions: 2,
    });
    const p = await verifyApiKey(key, lookupOf(record));
    expect(p).toEqual({
      kind: 'api-key',
      subject: `key:${record.keyId}`,
      tenant: 'acme',
      scopes: ['session:create'],
      pipelines: '*',
      keyId: record.keyId,
      limits: { maxSessions: 2 },
    });
  });

  it('compares hashes with crypto.timingSafeEqual', async () => {
    const { key, record } = generateApiKey({ tenant: 't', scopes: [], pipelines: [] });
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    await verifyApiKey(key, lookupOf(record));
    expect(spy).toHaveBeenCalledTimes(1);
    const [a, b] = spy.mock.calls[0]!;
    expect(a.byteLength).toBe(32);
    expect(b.byteLength).toBe(32);
  });

  it('rejects a wrong secret, an unknown id, a malformed key and a revoked key', async () => {
    const { key, record } = generateApiKey({ tenant: 't', scopes: [], pipelines: [] });
    const wrong =
      `${key.slice(0, -4)}AAAA` === key ? `${key.slice(0, -4)}BBBB` : `${key.slice(0, -4)}AAAA`;
    expect(await codeOf(verifyApiKey(wrong, lookupOf(record)))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(await codeOf(verifyApiKey(key, lookupOf()))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(await codeOf(verifyApiKey('vr_nope', lookupOf(record)))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
    const revoked = { ...record, revoked: true };
    const err = await verifyApiKey(key, lookupOf(revoked)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RELAY_ERR_UNAUTHENTICATED', message: 'API key revoked' });
  });

  it('uses HMAC with a pepper and fails closed without it', async () => {
    const { key, record } = generateApiKey({
      tenant: 't',
      scopes: [],
      pipelines: [],
      pepper: 'pepper-1',
    });
    expect(record.hash).toMatch(/^hmac-sha256:/);
    expect(record.hash).not.toBe(hashApiKey(key));
    await expect(verifyApiKey(key, lookupOf(record), 'pepper-1')).resolves.toBeTruthy();
    expect(await codeOf(verifyApiKey(key, lookupOf(record)))).toBe('RELAY_ERR_UNAUTHENTICATED');
    expect(await codeOf(verifyApiKey(key, lookupOf(record), 'pepper-2'))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
    expect(apiKeyMatches(key, 'md5:abc')).toBe(false);
    expect(apiKeyMatches(key, 'garbage')).toBe(false);
  });
});
