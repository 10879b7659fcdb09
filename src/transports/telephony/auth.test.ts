import { describe, expect, it } from 'vitest';
import {
  checkBasicAuth,
  checkBearer,
  checkToken,
  constantTimeEqual,
  parseBasicAuth,
  twilioSignature,
  validateTwilioSignature,
} from './auth.js';

// Twilio's published request-validation vector (its helper libraries' tests).
const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

describe('Twilio signature', () => {
  it("reproduces Twilio's published vector", () => {
    expect(twilioSignature(TOKEN, URL, PARAMS)).toBe(SIGNATURE);
    expect(validateTwilioSignature(TOKEN, URL, PARAMS, SIGNATURE)).toBe(true);
  });

  it('sorts repeated parameter values (published vector)', () => {
    const repeated = { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] };
    expect(validateTwilioSignature(TOKEN, URL, repeated, 'IK+Dwps556ElfBT0I3Rgjkr1wJU=')).toBe(
      true,
    );
  });

  it('rejects tampering, wrong tokens, and missing headers', () => {
    expect(validateTwilioSignature(TOKEN, URL, { ...PARAMS, Digits: '9999' }, SIGNATURE)).toBe(
      false,
    );
    expect(validateTwilioSignature('54321', URL, PARAMS, SIGNATURE)).toBe(false);
    expect(validateTwilioSignature(TOKEN, `${URL}&x=1`, PARAMS, SIGNATURE)).toBe(false);
    expect(validateTwilioSignature(TOKEN, URL, PARAMS, undefined)).toBe(false);
    expect(validateTwilioSignature(TOKEN, URL, PARAMS, '')).toBe(false);
    expect(validateTwilioSignature('', URL, PARAMS, SIGNATURE)).toBe(false);
  });

  it('validates a WebSocket upgrade (no params) with or without the default port', () => {
    const wss = 'wss://relay.example.com/v1/telephony/twilio';
    const sig = twilioSignature('secret', wss, {});
    expect(validateTwilioSignature('secret', wss, {}, sig)).toBe(true);
    const sigWithPort = twilioSignature(
      'secret',
      'wss://relay.example.com:443/v1/telephony/twilio',
    );
    expect(validateTwilioSignature('secret', wss, {}, sigWithPort)).toBe(true);
    expect(
      validateTwilioSignature('secret', 'wss://relay.example.com:443/v1/telephony/twilio', {}, sig),
    ).toBe(true);
    expect(validateTwilioSignature('secret', 'wss://relay.example.com:8443/x', {}, sig)).toBe(
      false,
    );
    expect(validateTwilioSignature('secret', 'not a url', {}, sig)).toBe(false);
  });
});

describe('Basic / bearer / token', () => {
  const header = `Basic ${Buffer.from('KEY:TO:KEN').toString('base64')}`;

  it('parses Basic credentials (password may contain colons)', () => {
    expect(parseBasicAuth(header)).toEqual({ username: 'KEY', password: 'TO:KEN' });
    expect(parseBasicAuth(undefined)).toBeUndefined();
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
    expect(parseBasicAuth('Basic !!!')).toBeUndefined();
  });

  it('checks Basic credentials', () => {
    expect(checkBasicAuth(header, { username: 'KEY', password: 'TO:KEN' })).toBe(true);
    expect(checkBasicAuth(header, { username: 'KEY', password: 'TO:KEM' })).toBe(false);
    expect(checkBasicAuth(header, { username: 'KEx', password: 'TO:KEN' })).toBe(false);
    expect(checkBasicAuth(undefined, { username: '', password: '' })).toBe(false);
  });

  it('checks bearer tokens and shared tokens', () => {
    expect(checkBearer('Bearer s3cret', 's3cret')).toBe(true);
    expect(checkBearer('bearer s3cret ', 's3cret')).toBe(true);
    expect(checkBearer('Bearer s3cre', 's3cret')).toBe(false);
    expect(checkBearer(undefined, '')).toBe(false);
    expect(checkToken('abc', 'abc')).toBe(true);
    expect(checkToken(undefined, 'abc')).toBe(false);
    expect(checkToken('', '')).toBe(false);
    expect(constantTimeEqual('a', 'ab')).toBe(false);
  });
});
