import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { telephonyConfigSchema, telephonyOptionsFromConfig } from './config-schema.js';
import { validateTelephonyOptions } from './telephony-module.js';

const YAML = `
defaultPipeline: default
carriers:
  twilio: { authToken: abc123, publicBaseUrl: "wss://relay.example.com" }
  vonage: {}
  exotel: { basic: { username: k, password: t } }
  freeswitch: { bearer: fs-secret, serializer: { sampleRateHz: 16000 } }
audioSocket: { port: 9092, host: 10.0.0.5, calls: { "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b": vr_key } }
markIntervalMs: 200
`;

describe('telephony config section', () => {
  it('parses a config file section into module options that validate', () => {
    const parsed = telephonyConfigSchema.parse(parseYaml(YAML));
    const options = telephonyOptionsFromConfig(parsed);
    expect(options.carriers?.twilio).toEqual({
      authToken: 'abc123',
      publicBaseUrl: 'wss://relay.example.com',
    });
    expect(options.audioSocket?.port).toBe(9092);
    expect(() => validateTelephonyOptions(options)).not.toThrow();
  });

  it('names unknown fields and bad values', () => {
    const r = telephonyConfigSchema.safeParse({
      carriers: { twilio: { authToken: 'x', secret: 1 } },
    });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('secret');
    expect(telephonyConfigSchema.safeParse({ carriers: { genesys: {} } }).success).toBe(false);
    expect(telephonyConfigSchema.safeParse({ audioSocket: { port: 70000 } }).success).toBe(false);
  });
});
