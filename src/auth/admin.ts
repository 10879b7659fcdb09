import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { RelayError } from '../errors/index.js';
import { isApiKeyShaped } from './api-keys.js';
import { isJwtShaped } from './jwt.js';
import { ADMIN_SCOPE, type Principal } from './principal.js';

/**
 * Admin credentials are configured opaque secrets (recommended form `vra_<32 random
 * bytes base64url>`, see `generateAdminKey`), separate from client credentials:
 * - `verifyAdmin` refuses anything shaped like a client credential (JWT or `vr_` key)
 *   before comparing, and configured admin keys of those shapes are ignored;
 * - the client `Authenticator` refuses admin-shaped tokens, and `authorize` refuses
 *   admin principals, so neither kind ever passes the other's checks.
 */
export const ADMIN_KEY_PREFIX = 'vra_';
export const MIN_ADMIN_KEY_LENGTH = 32;

export function generateAdminKey(): string {
  return `${ADMIN_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function usableAdminKey(key: string): boolean {
  return key.length >= MIN_ADMIN_KEY_LENGTH && !isJwtShaped(key) && !isApiKeyShaped(key);
}

/** Startup check of configured admin keys; throws RELAY_ERR_CONFIG naming the index. */
export function assertAdminKeysValid(adminKeys: readonly string[]): void {
  adminKeys.forEach((key, index) => {
    if (!usableAdminKey(key)) {
      throw new RelayError(
        'RELAY_ERR_CONFIG',
        'admin key must be at least 32 characters and not look like a client credential',
        { details: { index } },
      );
    }
  });
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Verify an admin token against the configured admin secrets in constant time:
 * both sides are hashed to fixed-length digests, compared with timingSafeEqual,
 * and every configured key is compared (no early exit).
 */
export function verifyAdmin(token: string, adminKeys: readonly string[]): Principal {
  if (token.length === 0 || isJwtShaped(token) || isApiKeyShaped(token)) {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'invalid admin credentials');
  }
  const presented = sha256(token);
  let matched = -1;
  adminKeys.forEach((key, index) => {
    const equal = timingSafeEqual(presented, sha256(key));
    if (equal && usableAdminKey(key) && matched < 0) {
      matched = index;
    }
  });
  if (matched < 0) {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'invalid admin credentials');
  }
  return {
    kind: 'admin',
    subject: `admin#${matched}`,
    tenant: '*',
    scopes: [ADMIN_SCOPE],
    pipelines: '*',
  };
}
