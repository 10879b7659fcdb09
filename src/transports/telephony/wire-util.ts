/**
 * Shared boundary helpers for the JSON carriers: size limits, safe JSON parsing, zod
 * field types for the numeric strings carriers send, base64 payloads, and error events.
 */
import { z } from 'zod';
import type { InboundEvent } from './types.js';

/** Largest inbound text message accepted (the biggest real one is ~10 KB of base64). */
export const MAX_TEXT_BYTES = 1 << 20;
/** Largest mark name / id echoed into events. */
export const MAX_NAME_CHARS = 1024;

export function error(reason: string): InboundEvent[] {
  return [{ kind: 'error', reason }];
}

export function ignored(reason: string): InboundEvent[] {
  return [{ kind: 'ignored', reason }];
}

/** Quote a carrier-supplied token for an error reason, bounded in length. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** The text of a TEXT frame (ws hands text frames over as Buffers too). */
export function textOf(message: string | Buffer): Result<string> {
  const size = typeof message === 'string' ? message.length : message.byteLength;
  if (size > MAX_TEXT_BYTES) {
    return { ok: false, error: `text message of ${size} bytes exceeds ${MAX_TEXT_BYTES}` };
  }
  return { ok: true, value: typeof message === 'string' ? message : message.toString('utf8') };
}

export type JsonObject = Record<string, unknown>;

/** JSON.parse of a text that must hold an object. */
export function parseObjectText(text: string): Result<JsonObject> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'text message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'JSON message is not an object' };
  }
  return { ok: true, value: value as JsonObject };
}

/** JSON.parse of a text frame that must hold an object. */
export function parseObject(message: string | Buffer): Result<JsonObject> {
  const text = textOf(message);
  return text.ok ? parseObjectText(text.value) : text;
}

/** Describe the first zod issue briefly (path + message; never the offending value). */
export function describeIssue(what: string, err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue === undefined) {
    return `invalid ${what}`;
  }
  const path = issue.path.map(String).join('.');
  return `invalid ${what}: ${path === '' ? '' : `${path}: `}${issue.message}`;
}

/** Validate `obj` against `schema`; map to events or to one error event. */
export function withSchema<T>(
  what: string,
  schema: z.ZodType<T>,
  obj: unknown,
  map: (value: T) => InboundEvent[],
): InboundEvent[] {
  const r = schema.safeParse(obj);
  return r.success ? map(r.data) : error(describeIssue(what, r.error));
}

/** Non-negative integer sent as a number or a decimal string ("1", "160"). */
export const uintLike = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,15}$/)])
  .transform((v) => Number(v));

/** Positive sample rate, as a number or a decimal string. */
export const rateLike = uintLike.refine(
  (v) => v >= 1000 && v <= 384_000,
  'sample rate out of range',
);

export const shortString = z.string().max(MAX_NAME_CHARS);

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** A base64 string decoded to bytes; rejects anything outside the base64 alphabet. */
export const base64Payload = z
  .string()
  .max(MAX_TEXT_BYTES)
  .refine((s) => BASE64_RE.test(s) && s.length % 4 !== 1, 'payload is not base64')
  .transform((s) => Buffer.from(s, 'base64'));

/** DTMF digits per RFC 4733 events 0–15. */
export const dtmfDigit = z.string().regex(/^[0-9*#A-Da-d]$/, 'not a DTMF digit');

/** A flat string map: strings kept, numbers and booleans stringified, the rest dropped. */
export function stringRecord(value: unknown, skip: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (skip.includes(k) || k === '__proto__') {
      continue;
    }
    if (typeof v === 'string') {
      out[k] = v;
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      out[k] = String(v);
    }
  }
  return out;
}

/** Drop `undefined` members, so optional fields can be spread under exactOptionalPropertyTypes. */
export function compact<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined) {
      out[k] = v;
    }
  }
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
