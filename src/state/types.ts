import type { ApiKeyRecord, KeyLookup } from '../auth/index.js';

export type { ApiKeyRecord } from '../auth/index.js';

/** One live session, as the fleet sees it. */
export interface SessionRecord {
  id: string;
  tenant: string;
  pipeline: string;
  /** Id of the relay node that owns the session (its control-bus channel). */
  node: string;
  transport: string;
  state: string;
  createdAtMs: number;
  updatedAtMs: number;
  keyId?: string;
  /** Periodically updated JSON blob (jitter stats, recent waterfalls); bounded size. */
  info?: Record<string, unknown>;
}

/** Fields an update may change; `updatedAtMs` is set by the store. */
export type SessionPatch = Partial<
  Pick<SessionRecord, 'pipeline' | 'node' | 'transport' | 'state' | 'keyId' | 'info'>
>;

export type ControlMessage =
  /** End the session; `code` is the close code (default 1000; 1008 for a revoked key). */
  | { type: 'kill'; sessionId: string; reason: string; code?: number | undefined }
  | { type: 'update'; sessionId: string; patch: Record<string, unknown> };

export type ControlHandler = (message: ControlMessage) => void | Promise<void>;

export interface RateLimitResult {
  allowed: boolean;
  /** 0 when allowed; otherwise ms until the next hit would be allowed. */
  retryAfterMs: number;
}

/** One usage counter of `addUsage`: `amount` (0 = read) added to its current fixed window. */
export interface UsageCounter {
  key: string;
  amount: number;
  /** Window length; windows are aligned to the store clock's epoch (a day = a UTC day). */
  windowMs: number;
}

export interface UsageTotals {
  /** The counters' totals in their current windows, after the additions (same order). */
  totals: number[];
  /** The store clock when counted (window ends derive from it). */
  nowMs: number;
}

export interface StateStoreStats {
  /** Control messages handed to handlers. */
  controlDelivered: number;
  /** Control messages dropped because they failed validation. */
  controlInvalid: number;
  /** Handlers that threw or rejected. */
  controlHandlerErrors: number;
  /** Stored records skipped by list operations because they failed validation. */
  corruptRecords: number;
}

/**
 * Fleet state. All methods are async and may reject with a RelayError
 * (RELAY_ERR_CLOSED after close(); RELAY_ERR_STORE_UNAVAILABLE, retryable, when the
 * backend is unreachable). Never call it per media frame.
 *
 * TTL semantics (both implementations): a session record lives for `sessionTtlMs`
 * after its last register/update/touch; the owner refreshes it (touchSessions or
 * updateSession) well within the TTL, so records of a dead node disappear on their
 * own. Session slots likewise expire `slotTtlMs` after their last acquire; the owner
 * re-acquires (idempotent) to refresh.
 */
export interface StateStore extends KeyLookup {
  readonly nodeId: string;

  /** Throws RELAY_ERR_CONFLICT if the id exists; RELAY_ERR_PAYLOAD_TOO_LARGE for big info. */
  registerSession(record: SessionRecord): Promise<void>;
  /** Merge `patch`, set updatedAtMs, refresh the TTL. False if the session is gone. */
  updateSession(id: string, patch: SessionPatch): Promise<boolean>;
  /** Refresh the TTL of the given sessions; returns how many still existed. */
  touchSessions(ids: readonly string[]): Promise<number>;
  removeSession(id: string): Promise<boolean>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Ordered by createdAtMs, then id. */
  listSessions(filter?: { tenant?: string }): Promise<SessionRecord[]>;

  /** Send to the node's channel; resolves to the number of subscribers reached. */
  publishControl(nodeId: string, message: ControlMessage): Promise<number>;
  /** Resolves once subscribed; the returned function unsubscribes. */
  subscribeControl(nodeId: string, handler: ControlHandler): Promise<() => Promise<void>>;

  /**
   * Take one of `max` slots under `key` for `sessionId`. Idempotent: re-acquiring
   * an owned slot refreshes its expiry and returns true.
   */
  acquireSessionSlot(key: string, max: number, sessionId: string): Promise<boolean>;
  releaseSessionSlot(key: string, sessionId: string): Promise<boolean>;

  /** Sliding-window limit: at most `limit` allowed hits per `windowMs` under `key`. */
  hitRate(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;

  /**
   * Fixed-window usage counters (tenant quotas): add each counter's amount to its
   * current window atomically and return the totals. Counters expire after their window.
   */
  addUsage(counters: readonly UsageCounter[]): Promise<UsageTotals>;

  /** Insert or replace. */
  putApiKey(record: ApiKeyRecord): Promise<void>;
  getApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(filter?: { tenant?: string }): Promise<ApiKeyRecord[]>;
  revokeApiKey(keyId: string): Promise<boolean>;
  deleteApiKey(keyId: string): Promise<boolean>;

  /** Resolves when the backend answers; rejects RELAY_ERR_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;

  stats(): StateStoreStats;
  close(): Promise<void>;
}

export interface StateStoreOptions {
  /** This relay node's id (its control channel). */
  nodeId: string;
  /** Default 60 000. */
  sessionTtlMs?: number;
  /** Default 60 000. */
  slotTtlMs?: number;
  /** Max JSON size of SessionRecord.info in bytes; default 16 384. */
  maxInfoBytes?: number;
  /**
   * Longest wait for one store command, ms; default 1 000. While the connection is
   * known to be down, commands fail at once instead (see the state README).
   */
  commandTimeoutMs?: number;
}

export const STATE_DEFAULTS = {
  sessionTtlMs: 60_000,
  slotTtlMs: 60_000,
  maxInfoBytes: 16_384,
  commandTimeoutMs: 1_000,
} as const;
