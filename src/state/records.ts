import { z } from 'zod';
import { RelayError } from '../errors/index.js';
import type {
  ApiKeyRecord,
  ControlMessage,
  SessionPatch,
  SessionRecord,
  UsageCounter,
} from './types.js';

/** Validation and encoding shared by the store implementations. */

const id = z.string().min(1).max(512);
const jsonObject = z.record(z.string(), z.unknown());

export const sessionRecordSchema = z.object({
  id,
  tenant: id,
  pipeline: id,
  node: id,
  transport: z.string().max(64),
  state: z.string().max(64),
  createdAtMs: z.number().finite(),
  updatedAtMs: z.number().finite(),
  keyId: id.exactOptional(),
  info: jsonObject.exactOptional(),
}) satisfies z.ZodType<SessionRecord>;

const sessionPatchSchema = z
  .object({
    pipeline: id.exactOptional(),
    node: id.exactOptional(),
    transport: z.string().max(64).exactOptional(),
    state: z.string().max(64).exactOptional(),
    keyId: id.exactOptional(),
    info: jsonObject.exactOptional(),
  })
  .strict() satisfies z.ZodType<SessionPatch>;

export const apiKeyRecordSchema = z.object({
  keyId: id,
  hash: z.string().min(1),
  tenant: id,
  scopes: z.array(z.string()),
  pipelines: z.union([z.literal('*'), z.array(z.string())]),
  createdAtMs: z.number().finite(),
  revoked: z.boolean(),
  maxSessions: z.number().int().nonnegative().exactOptional(),
  description: z.string().max(1024).exactOptional(),
}) satisfies z.ZodType<ApiKeyRecord>;

export const controlMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('kill'),
    sessionId: id,
    reason: z.string().max(1024),
    code: z.number().int().min(1000).max(4999).optional(),
  }),
  z.object({ type: z.literal('update'), sessionId: id, patch: jsonObject }),
]) satisfies z.ZodType<ControlMessage>;

export const MAX_CONTROL_MESSAGE_BYTES = 65_536;

function badRequest(message: string, error: z.ZodError): RelayError {
  const field = error.issues[0]?.path.join('.') ?? '';
  return new RelayError('RELAY_ERR_BAD_REQUEST', message, { details: { field } });
}

/** JSON round trip: what a networked store would give back (drops undefined, etc.). */
function jsonNormalise(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch (err) {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', 'value is not JSON-serialisable', { cause: err });
  }
}

function checkInfoSize(info: Record<string, unknown> | undefined, maxBytes: number): void {
  if (info !== undefined && Buffer.byteLength(JSON.stringify(info)) > maxBytes) {
    throw new RelayError('RELAY_ERR_PAYLOAD_TOO_LARGE', 'session info too large', {
      details: { maxBytes },
    });
  }
}

export function validateSessionRecord(record: SessionRecord, maxInfoBytes: number): SessionRecord {
  const parsed = sessionRecordSchema.safeParse(jsonNormalise(record));
  if (!parsed.success) {
    throw badRequest('invalid session record', parsed.error);
  }
  checkInfoSize(parsed.data.info, maxInfoBytes);
  return parsed.data;
}

export function validateSessionPatch(patch: SessionPatch, maxInfoBytes: number): SessionPatch {
  const parsed = sessionPatchSchema.safeParse(jsonNormalise(patch));
  if (!parsed.success) {
    throw badRequest('invalid session patch', parsed.error);
  }
  checkInfoSize(parsed.data.info, maxInfoBytes);
  return parsed.data;
}

export function validateApiKeyRecord(record: ApiKeyRecord): ApiKeyRecord {
  const parsed = apiKeyRecordSchema.safeParse(jsonNormalise(record));
  if (!parsed.success) {
    throw badRequest('invalid API key record', parsed.error);
  }
  return parsed.data;
}

/** Validate and serialise an outgoing control message. */
export function encodeControlMessage(message: ControlMessage): string {
  const parsed = controlMessageSchema.safeParse(jsonNormalise(message));
  if (!parsed.success) {
    throw badRequest('invalid control message', parsed.error);
  }
  const text = JSON.stringify(parsed.data);
  if (Buffer.byteLength(text) > MAX_CONTROL_MESSAGE_BYTES) {
    throw new RelayError('RELAY_ERR_PAYLOAD_TOO_LARGE', 'control message too large');
  }
  return text;
}

/** Parse an incoming control message; undefined when invalid (the caller counts it). */
export function decodeControlMessage(raw: string): ControlMessage | undefined {
  if (raw.length > MAX_CONTROL_MESSAGE_BYTES) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = controlMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Non-empty key/id arguments. */
export function requireName(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', 'invalid name', { details: { what } });
  }
  return value;
}

export function requireCount(value: number, what: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', 'invalid number', { details: { what, min } });
  }
  return value;
}

/** Sort in place by createdAtMs, then id (code-point order). */
export function sortByCreation<T extends { createdAtMs: number }>(
  records: T[],
  idOf: (record: T) => string,
): T[] {
  return records.sort((a, b) => {
    const ia = idOf(a);
    const ib = idOf(b);
    return a.createdAtMs - b.createdAtMs || (ia < ib ? -1 : ia > ib ? 1 : 0);
  });
}

/** Redis hash encoding: each field holds the JSON of its value. */
export function toHashFields(value: object): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) {
      out.push(k, JSON.stringify(v));
    }
  }
  return out;
}

export function fromHashFields(hash: Record<string, string>): Record<string, unknown> | undefined {
  const entries = Object.entries(hash);
  if (entries.length === 0) {
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    try {
      out[k] = JSON.parse(v) as unknown;
    } catch {
      out[k] = undefined;
    }
  }
  return out;
}

/** A session hash as read from the store: the record, or why there is none. */
export function parseSessionHash(
  hash: Record<string, string>,
): SessionRecord | 'missing' | 'corrupt' {
  const fields = fromHashFields(hash);
  if (fields === undefined) {
    return 'missing';
  }
  const parsed = sessionRecordSchema.safeParse(fields);
  return parsed.success ? parsed.data : 'corrupt';
}

const usageCountersSchema = z
  .array(
    z.strictObject({
      key: z.string().min(1).max(512),
      amount: z.number().int().min(0),
      windowMs: z.number().int().min(1_000),
    }),
  )
  .min(1)
  .max(32);

/** Usage counters: named, a whole amount ≥ 0, a window of at least a second; 1 to 32 of them. */
export function validateUsageCounters(counters: readonly UsageCounter[]): UsageCounter[] {
  const parsed = usageCountersSchema.safeParse(counters);
  if (!parsed.success) {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', 'invalid usage counters', {
      details: { field: parsed.error.issues[0]?.path.join('.') ?? '' },
    });
  }
  return parsed.data;
}
