import { z } from 'zod';
import { ERROR_CODES, RelayError, type ErrorCode } from '../errors/index.js';

/**
 * One end of a message channel between a relay worker and the process hosting its state
 * (node:cluster IPC, or a MessagePort in tests). Messages are structured-cloned.
 */
export interface IpcPort {
  send(message: unknown): void;
  /** Returns a function that removes the listener. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** The peer went away (worker exit, channel closed). */
  onClose(listener: () => void): () => void;
}

/** The store operations a worker may call on the hosted store (all of StateStore's data calls). */
export const IPC_STORE_METHODS = [
  'registerSession',
  'updateSession',
  'touchSessions',
  'removeSession',
  'getSession',
  'listSessions',
  'publishControl',
  'acquireSessionSlot',
  'releaseSessionSlot',
  'hitRate',
  'addUsage',
  'putApiKey',
  'getApiKey',
  'listApiKeys',
  'revokeApiKey',
  'deleteApiKey',
  'ping',
  // Channel management, served by the host itself.
  'open',
  'subscribe',
  'unsubscribe',
  'close',
] as const;

export type IpcStoreMethod = (typeof IPC_STORE_METHODS)[number];

/** Worker → host: call `method` on store `store`. */
export const ipcRequestSchema = z.object({
  vr: z.literal('state'),
  id: z.number().int(),
  store: z.string().min(1),
  method: z.enum(IPC_STORE_METHODS),
  args: z.array(z.unknown()),
});
export type IpcRequest = z.infer<typeof ipcRequestSchema>;

const errorShape = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** Host → worker: the answer to request `id`. */
export const ipcReplySchema = z.union([
  z.object({
    vr: z.literal('state-reply'),
    id: z.number().int(),
    ok: z.literal(true),
    // Absent when the call returned undefined (cluster IPC serialises as JSON).
    value: z.unknown().optional(),
  }),
  z.object({
    vr: z.literal('state-reply'),
    id: z.number().int(),
    ok: z.literal(false),
    error: errorShape,
  }),
]);

/** Host → worker: a raw control message on a channel the store subscribed to. */
export const ipcControlSchema = z.object({
  vr: z.literal('state-control'),
  store: z.string(),
  channel: z.string(),
  raw: z.string(),
});

export type IpcErrorShape = z.infer<typeof errorShape>;

export function errorToIpc(err: unknown): IpcErrorShape {
  const e =
    err instanceof RelayError
      ? err
      : new RelayError('RELAY_ERR_INTERNAL', err instanceof Error ? err.message : String(err));
  return {
    code: e.code,
    message: e.message,
    retryable: e.retryable,
    ...(e.details === undefined ? {} : { details: { ...e.details } }),
  };
}

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

export function errorFromIpc(e: IpcErrorShape): RelayError {
  return new RelayError(isErrorCode(e.code) ? e.code : 'RELAY_ERR_INTERNAL', e.message, {
    retryable: e.retryable,
    ...(e.details === undefined ? {} : { details: e.details }),
  });
}
