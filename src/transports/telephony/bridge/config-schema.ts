/**
 * The telephony section of a relay config file (YAML/JSON): the declarative subset of
 * `TelephonyModuleOptions` (no callbacks). Strict, like the rest of the relay config: an unknown
 * field is an error that names it.
 *
 *   telephony:
 *     defaultPipeline: default
 *     carriers:
 *       twilio: { authToken: "...", publicBaseUrl: "wss://relay.example.com" }
 *       vonage: {}
 *     audioSocket: { port: 9092, host: 10.0.0.5, calls: { "<uuid>": "<relay credential>" } }
 */
import { z } from 'zod';
import { CARRIER_NAMES } from '../types.js';
import type { TelephonyModuleOptions } from './options.js';

const basic = z.strictObject({ username: z.string().min(1), password: z.string().min(1) });

const common = {
  serviceToken: z.string().min(1).optional(),
  pipeline: z.string().min(1).optional(),
  allowedAddresses: z.array(z.string().min(1)).optional(),
  /** Serializer options, passed through (see each serializer's options type). */
  serializer: z.record(z.string(), z.unknown()).optional(),
};

const asteriskWs = z.strictObject({ ...common, basic: basic.optional() });

/** Carrier keys of the config file: `asterisk` is chan_websocket (alias `asterisk-ws`). */
export const CARRIER_CONFIG_KEYS = CARRIER_NAMES.filter((n) => n !== 'audiosocket').map((n) =>
  n === 'asterisk-ws' ? 'asterisk' : n,
);

/** `asterisk` is the documented key of chan_websocket (its path is /v1/telephony/asterisk). */
function asteriskAlias(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !('asterisk' in v)) {
    return v;
  }
  const { asterisk, ...rest } = v as Record<string, unknown>;
  return 'asterisk-ws' in rest ? v : { ...rest, 'asterisk-ws': asterisk };
}

const carriersSchema = z.preprocess(
  asteriskAlias,
  z.strictObject(
    {
      twilio: z
        .strictObject({
          ...common,
          authToken: z.string().min(1),
          publicBaseUrl: z
            .string()
            .regex(/^wss?:\/\//, 'must start with wss:// or ws://')
            .optional(),
        })
        .optional(),
      telnyx: z
        .strictObject({ ...common, streamingAuthToken: z.string().min(1).optional() })
        .optional(),
      vonage: z.strictObject(common).optional(),
      plivo: z.strictObject(common).optional(),
      exotel: z.strictObject({ ...common, basic: basic.optional() }).optional(),
      jambonz: z.strictObject({ ...common, basic: basic.optional() }).optional(),
      freeswitch: z.strictObject({ ...common, bearer: z.string().min(1).optional() }).optional(),
      'asterisk-ws': asteriskWs.optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown carrier (valid: ${CARRIER_CONFIG_KEYS.join(', ')})`
          : undefined,
    },
  ),
);

export const telephonyConfigSchema = z.strictObject({
  carriers: carriersSchema.optional(),
  audioSocket: z
    .strictObject({
      port: z.number().int().min(0).max(65535),
      host: z.string().min(1).optional(),
      calls: z.record(z.string(), z.string().min(1)).optional(),
      serviceToken: z.string().min(1).optional(),
      allowedAddresses: z.array(z.string().min(1)).optional(),
      pipeline: z.string().min(1).optional(),
      serializer: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  defaultPipeline: z.string().min(1).optional(),
  pathTokens: z.enum(['client-tokens', 'any']).optional(),
  markIntervalMs: z.number().int().positive().max(10_000).optional(),
  startTimeoutMs: z.number().int().positive().max(120_000).optional(),
  maxPayloadBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .optional(),
  maxMessagesPerSecond: z.number().int().positive().optional(),
  maxBadMessages: z.number().int().positive().optional(),
  badMessagesPerSecond: z.number().positive().optional(),
  heartbeatMs: z.number().int().min(1000).optional(),
  maxPendingMessages: z.number().int().positive().optional(),
  backpressure: z
    .strictObject({
      dropAudioAboveBytes: z.number().int().positive().optional(),
      closeAboveBytes: z.number().int().positive().optional(),
      maxSlowMs: z.number().int().positive().optional(),
    })
    .optional(),
});

export type TelephonyConfig = z.infer<typeof telephonyConfigSchema>;

/** Drop `undefined` members (exactOptionalPropertyTypes), recursively for plain objects. */
function compactDeep(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) {
      out[k] = compactDeep(v);
    }
  }
  return out;
}

/** A parsed config section as module options (validated again by `createTelephonyModule`). */
export function telephonyOptionsFromConfig(config: TelephonyConfig): TelephonyModuleOptions {
  return compactDeep(config) as TelephonyModuleOptions;
}
