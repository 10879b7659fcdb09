import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { RelayError } from '../errors/index.js';
import { extractCredential, type RequestLike } from './extract.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnQiOiJhIn0.c2ln';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof RelayError ? e.code : 'not-a-relay-error';
  }
}

describe('extractCredential', () => {
  it('accepts an IncomingMessage', () => {
    const asRequest = (m: IncomingMessage): RequestLike => m;
    expect(asRequest).toBeTypeOf('function');
  });

  it('reads Authorization: Bearer', () => {
    expect(extractCredential({ headers: { authorization: `Bearer ${JWT}` } })).toEqual({
      token: JWT,
      source: 'authorization',
      subprotocol: false,
    });
    expect(extractCredential({ headers: { authorization: 'bearer vr_abc' } }).token).toBe('vr_abc');
  });

  it('rejects malformed Authorization headers', () => {
    expect(codeOf(() => extractCredential({ headers: { authorization: 'Basic Zm9v' } }))).toBe(
      'RELAY_ERR_BAD_REQUEST',
    );
    expect(codeOf(() => extractCredential({ headers: { authorization: 'Bearer' } }))).toBe(
      'RELAY_ERR_BAD_REQUEST',
    );
    expect(codeOf(() => extractCredential({ headers: { authorization: 'Bearer a b' } }))).toBe(
      'RELAY_ERR_BAD_REQUEST',
    );
    expect(codeOf(() => extractCredential({ headers: { authorization: 'Bearer tok"en' } }))).toBe(
      'RELAY_ERR_BAD_REQUEST',
    );
  });

  it('reads the bearer subprotocol and asks to answer voice-relay.v1', () => {
    const c = extractCredential({
      headers: { 'sec-websocket-protocol': `voice-relay.v1, bearer.${JWT}` },
    });
    expect(c).toEqual({ token: JWT, source: 'subprotocol', subprotocol: true });
  });

  it('requires voice-relay.v1 next to a bearer subprotocol, and only one bearer', () => {
    expect(
      codeOf(() => extractCredential({ headers: { 'sec-websocket-protocol': `bearer.${JWT}` } })),
    ).toBe('RELAY_ERR_BAD_REQUEST');
    expect(
      codeOf(() =>
        extractCredential({
          headers: { 'sec-websocket-protocol': 'voice-relay.v1, bearer.a, bearer.b' },
        }),
      ),
    ).toBe('RELAY_ERR_BAD_REQUEST');
    expect(
      codeOf(() =>
        extractCredential({ headers: { 'sec-websocket-protocol': 'voice-relay.v1, bearer.' } }),
      ),
    ).toBe('RELAY_ERR_BAD_REQUEST');
  });

  it('reads ?token=', () => {
    expect(
      extractCredential({ headers: {}, url: `/v1/sessions?pipeline=default&token=${JWT}` }),
    ).toEqual({ token: JWT, source: 'query', subprotocol: false });
    expect(
      codeOf(() => extractCredential({ headers: {}, url: '/v1/sessions?token=a&token=b' })),
    ).toBe('RELAY_ERR_BAD_REQUEST');
  });

  it('rejects more than one credential', () => {
    expect(
      codeOf(() =>
        extractCredential({ headers: { authorization: `Bearer ${JWT}` }, url: `/?token=${JWT}` }),
      ),
    ).toBe('RELAY_ERR_BAD_REQUEST');
  });

  it('reports missing credentials as RELAY_ERR_UNAUTHENTICATED', () => {
    expect(codeOf(() => extractCredential({ headers: {}, url: '/v1/sessions?pipeline=x' }))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
    expect(
      codeOf(() => extractCredential({ headers: { 'sec-websocket-protocol': 'voice-relay.v1' } })),
    ).toBe('RELAY_ERR_UNAUTHENTICATED');
  });
});
