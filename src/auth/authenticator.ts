import { RelayError } from '../errors/index.js';
import { ADMIN_KEY_PREFIX } from './admin.js';
import { isApiKeyShaped, verifyApiKey, type KeyLookup } from './api-keys.js';
import {
  extractCredential,
  type CredentialSource,
  type ExtractedCredential,
  type RequestLike,
} from './extract.js';
import { isJwtShaped, JwtVerifier, type JwtOptions } from './jwt.js';
import { authorize, type AuthorizeRequest, type Principal } from './principal.js';

export interface AuthenticatorOptions {
  jwt?: JwtOptions;
  keys: KeyLookup;
  /** Server pepper for API-key hashes (HMAC-SHA256); see api-keys.ts. */
  apiKeyPepper?: string;
}

export interface AuthenticateOptions {
  /** Where the token came from; 'query' admits only short-lived client tokens. */
  source?: CredentialSource;
}

export interface AuthenticatedRequest {
  principal: Principal;
  source: CredentialSource;
  /** Answer the upgrade with `voice-relay.v1` (the token came as a subprotocol). */
  subprotocol: boolean;
}

/**
 * Client credential verification, shared by the media upgrade handler and the
 * gateway. Decides by shape: a JWT (three base64url parts) or an API key (`vr_`).
 * Admin credentials are refused here; use `verifyAdmin`.
 */
export class Authenticator {
  readonly #jwt: JwtVerifier | undefined;
  readonly #keys: KeyLookup;
  readonly #pepper: string | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#jwt = options.jwt === undefined ? undefined : new JwtVerifier(options.jwt);
    this.#keys = options.keys;
    this.#pepper = options.apiKeyPepper;
  }

  async authenticate(token: string, options: AuthenticateOptions = {}): Promise<Principal> {
    const fromQuery = options.source === 'query';
    if (isJwtShaped(token)) {
      if (this.#jwt === undefined) {
        throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'JWT authentication is not enabled');
      }
      const principal = await this.#jwt.verify(token, { requireClientToken: fromQuery });
      if (principal.keyId !== undefined) {
        await this.#assertMintingKeyLive(principal.keyId);
      }
      return principal;
    }
    if (isApiKeyShaped(token)) {
      if (fromQuery) {
        throw new RelayError(
          'RELAY_ERR_UNAUTHENTICATED',
          'only short-lived client tokens are accepted here',
        );
      }
      return verifyApiKey(token, this.#keys, this.#pepper);
    }
    if (token.startsWith(ADMIN_KEY_PREFIX)) {
      throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'admin credentials are not accepted here');
    }
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'unrecognised credential');
  }

  /** A client token minted by an API key dies with the key (revoked or deleted). */
  async #assertMintingKeyLive(keyId: string): Promise<void> {
    const record = await this.#keys.getApiKey(keyId);
    if (record === undefined || record.revoked) {
      throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'API key revoked', {
        details: { keyId },
      });
    }
  }

  /** Extract (header, subprotocol or query) and authenticate in one step. */
  async authenticateRequest(req: RequestLike): Promise<AuthenticatedRequest> {
    const credential: ExtractedCredential = extractCredential(req);
    const principal = await this.authenticate(credential.token, { source: credential.source });
    return { principal, source: credential.source, subprotocol: credential.subprotocol };
  }

  /** Throws RELAY_ERR_FORBIDDEN when the scope or pipeline is not allowed. */
  authorize(principal: Principal, request: AuthorizeRequest): void {
    authorize(principal, request);
  }
}
