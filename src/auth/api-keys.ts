import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RelayError } from '../errors/index.js';
import type { Principal } from './principal.js';

/**
 * API keys: `vr_<keyId>_<secret>`.
 * - keyId: 16 lowercase hex chars (8 random bytes), public, used for lookup and in logs.
 * - secret: 32 random bytes, base64url (43 chars). Shown once at creation, never stored.
 *
 * Storage: only a hash of the FULL key string is stored, tagged with its algorithm:
 * - `hmac-sha256:<b64url>` = HMAC-SHA256(pepper, key) when a server pepper is configured
 *   (a leaked store alone is then useless), or
 * - `sha256:<b64url>` = SHA-256(key) without a pepper.
 * A fast hash is enough because the secret has 256 bits of entropy: there is no
 * dictionary to brute-force, so a slow KDF (scrypt) would only cost latency on every
 * upgrade. Comparison uses `crypto.timingSafeEqual` on the fixed-length digests.
 */
export const API_KEY_PREFIX = 'vr_';

const API_KEY_RE = /^vr_([a-z0-9]{8,32})_([A-Za-z0-9_-]{32,128})$/;

export interface ApiKeyRecord {
  keyId: string;
  /** `sha256:<b64url>` or `hmac-sha256:<b64url>` of the full key. */
  hash: string;
  tenant: string;
  scopes: string[];
  pipelines: string[] | '*';
  createdAtMs: number;
  revoked: boolean;
  maxSessions?: number;
  description?: string;
}

/** What auth needs from the key store (the state store satisfies it). */
export interface KeyLookup {
  getApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;
}

export function isApiKeyShaped(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** Split a key into its public id and secret; undefined when malformed. */
export function parseApiKey(key: string): { keyId: string; secret: string } | undefined {
  const m = API_KEY_RE.exec(key);
  if (m === null || m[1] === undefined || m[2] === undefined) {
    return undefined;
  }
  return { keyId: m[1], secret: m[2] };
}

function digest(key: string, pepper: string | undefined): Buffer {
  return pepper === undefined
    ? createHash('sha256').update(key, 'utf8').digest()
    : createHmac('sha256', pepper).update(key, 'utf8').digest();
}

/** The stored form of a key (see the module comment). */
export function hashApiKey(key: string, pepper?: string): string {
  const alg = pepper === undefined ? 'sha256' : 'hmac-sha256';
  return `${alg}:${digest(key, pepper).toString('base64url')}`;
}

/**
 * Constant-time check of a presented key against a stored hash. A peppered hash
 * never matches when no pepper is configured (fails closed).
 */
export function apiKeyMatches(key: string, storedHash: string, pepper?: string): boolean {
  const sep = storedHash.indexOf(':');
  const alg = storedHash.slice(0, sep);
  if (sep < 0 || (alg !== 'sha256' && alg !== 'hmac-sha256')) {
    return false;
  }
  if (alg === 'hmac-sha256' && pepper === undefined) {
    return false;
  }
  const expected = Buffer.from(storedHash.slice(sep + 1), 'base64url');
  const actual = digest(key, alg === 'sha256' ? undefined : pepper);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface GenerateApiKeyOptions {
  tenant: string;
  scopes: string[];
  pipelines: string[] | '*';
  maxSessions?: number;
  description?: string;
  /** Server pepper; must be the one the Authenticator uses. */
  pepper?: string;
  nowMs?: number;
}

/** Create a key: the plaintext (show once) and the record to store. */
export function generateApiKey(options: GenerateApiKeyOptions): {
  key: string;
  record: ApiKeyRecord;
} {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = `${API_KEY_PREFIX}${keyId}_${secret}`;
  const record: ApiKeyRecord = {
    keyId,
    hash: hashApiKey(key, options.pepper),
    tenant: options.tenant,
    scopes: [...options.scopes],
    pipelines: options.pipelines === '*' ? '*' : [...options.pipelines],
    createdAtMs: Math.floor(options.nowMs ?? Date.now()),
    revoked: false,
  };
  if (options.maxSessions !== undefined) {
    record.maxSessions = options.maxSessions;
  }
  if (options.description !== undefined) {
    record.description = options.description;
  }
  return { key, record };
}

const INVALID_KEY = 'invalid API key';

const dummyHashes = new Map<string, string>();

/** A stored-form hash of a key nobody holds, for unknown ids (see verifyApiKey). */
function dummyHash(pepper: string | undefined): string {
  const slot = pepper ?? '';
  let hash = dummyHashes.get(slot);
  if (hash === undefined) {
    hash = hashApiKey(`${API_KEY_PREFIX}unknown_${randomBytes(32).toString('base64url')}`, pepper);
    if (dummyHashes.size < 16) {
      dummyHashes.set(slot, hash);
    }
  }
  return hash;
}

/**
 * Verify an API key against the store. Unknown id, wrong secret and malformed key
 * all give the same RELAY_ERR_UNAUTHENTICATED; "revoked" is only reported after
 * the secret matched.
 */
export async function verifyApiKey(
  key: string,
  lookup: KeyLookup,
  pepper?: string,
): Promise<Principal> {
  const parsed = parseApiKey(key);
  if (parsed === undefined) {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', INVALID_KEY);
  }
  const record = await lookup.getApiKey(parsed.keyId);
  if (record === undefined || record.keyId !== parsed.keyId) {
    // The same work as a known id with a wrong secret: one digest of the presented
    // key against a stored-form hash (precomputed once per pepper).
    apiKeyMatches(key, dummyHash(pepper), pepper);
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', INVALID_KEY);
  }
  if (!apiKeyMatches(key, record.hash, pepper)) {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', INVALID_KEY);
  }
  if (record.revoked) {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'API key revoked', {
      details: { keyId: record.keyId },
    });
  }
  const principal: Principal = {
    kind: 'api-key',
    subject: `key:${record.keyId}`,
    tenant: record.tenant,
    scopes: [...record.scopes],
    pipelines: record.pipelines === '*' ? '*' : [...record.pipelines],
    keyId: record.keyId,
  };
  if (record.maxSessions !== undefined) {
    principal.limits = { maxSessions: record.maxSessions };
  }
  return principal;
}
