import { systemClock, type Clock } from '../core/index.js';
import { RelayError } from '../errors/index.js';
import { ControlDispatcher, emptyStats } from './control.js';
import { MemoryBackend } from './memory-backend.js';
import {
  encodeControlMessage,
  requireCount,
  requireName,
  validateApiKeyRecord,
  validateSessionPatch,
  validateSessionRecord,
  validateUsageCounters,
} from './records.js';
import {
  STATE_DEFAULTS,
  type ApiKeyRecord,
  type ControlHandler,
  type ControlMessage,
  type RateLimitResult,
  type SessionPatch,
  type SessionRecord,
  type StateStore,
  type StateStoreOptions,
  type StateStoreStats,
  type UsageCounter,
  type UsageTotals,
} from './types.js';

export { MemoryBackend } from './memory-backend.js';

export interface MemoryStateStoreOptions extends StateStoreOptions {
  /** Share one backend between stores to model several nodes; default: a private one. */
  backend?: MemoryBackend;
  clock?: Clock;
}

/**
 * Single-process state store (the default). Same semantics as RedisStateStore:
 * TTLs, slot expiry, sliding-window rate limits, JSON-serialised control messages
 * delivered asynchronously (in-process EventEmitter, one channel per node id).
 */
export class MemoryStateStore implements StateStore {
  readonly nodeId: string;
  readonly #backend: MemoryBackend;
  readonly #clock: Clock;
  readonly #sessionTtlMs: number;
  readonly #slotTtlMs: number;
  readonly #maxInfoBytes: number;
  readonly #stats = emptyStats();
  readonly #dispatcher = new ControlDispatcher(this.#stats);
  readonly #listeners = new Map<string, (raw: string) => void>();
  #closed = false;

  constructor(options: MemoryStateStoreOptions) {
    this.nodeId = requireName(options.nodeId, 'nodeId');
    this.#backend = options.backend ?? new MemoryBackend();
    this.#clock = options.clock ?? systemClock;
    this.#sessionTtlMs = requireCount(
      options.sessionTtlMs ?? STATE_DEFAULTS.sessionTtlMs,
      'sessionTtlMs',
      1,
    );
    this.#slotTtlMs = requireCount(options.slotTtlMs ?? STATE_DEFAULTS.slotTtlMs, 'slotTtlMs', 1);
    this.#maxInfoBytes = options.maxInfoBytes ?? STATE_DEFAULTS.maxInfoBytes;
  }

  #now(): number {
    if (this.#closed) {
      throw new RelayError('RELAY_ERR_CLOSED', 'state store closed');
    }
    return this.#clock.now();
  }

  async registerSession(record: SessionRecord): Promise<void> {
    const now = this.#now();
    const valid = validateSessionRecord(record, this.#maxInfoBytes);
    if (!this.#backend.insertSession(valid, now, this.#sessionTtlMs)) {
      throw new RelayError('RELAY_ERR_CONFLICT', 'session already registered', {
        details: { sessionId: valid.id },
      });
    }
    return Promise.resolve();
  }

  async updateSession(id: string, patch: SessionPatch): Promise<boolean> {
    const now = this.#now();
    const valid = validateSessionPatch(patch, this.#maxInfoBytes);
    return Promise.resolve(this.#backend.patchSession(id, valid, now, this.#sessionTtlMs));
  }

  async touchSessions(ids: readonly string[]): Promise<number> {
    const now = this.#now();
    let alive = 0;
    for (const id of ids) {
      alive += this.#backend.touchSession(id, now, this.#sessionTtlMs) ? 1 : 0;
    }
    return Promise.resolve(alive);
  }

  async removeSession(id: string): Promise<boolean> {
    return Promise.resolve(this.#backend.deleteSession(id, this.#now()));
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.#backend.readSession(id, this.#now()));
  }

  async listSessions(filter: { tenant?: string } = {}): Promise<SessionRecord[]> {
    return Promise.resolve(this.#backend.readSessions(this.#now(), filter.tenant));
  }

  async publishControl(nodeId: string, message: ControlMessage): Promise<number> {
    this.#now();
    const raw = encodeControlMessage(message);
    return Promise.resolve(this.#backend.publish(requireName(nodeId, 'nodeId'), raw));
  }

  async subscribeControl(nodeId: string, handler: ControlHandler): Promise<() => Promise<void>> {
    this.#now();
    const channel = requireName(nodeId, 'nodeId');
    if (this.#dispatcher.add(channel, handler)) {
      const listener = (raw: string): void => {
        this.#dispatcher.dispatch(channel, raw);
      };
      this.#listeners.set(channel, listener);
      this.#backend.listen(channel, listener);
    }
    let active = true;
    return Promise.resolve(async () => {
      if (!active) {
        return;
      }
      active = false;
      if (this.#dispatcher.remove(channel, handler)) {
        this.#unlisten(channel);
      }
      return Promise.resolve();
    });
  }

  #unlisten(channel: string): void {
    const listener = this.#listeners.get(channel);
    if (listener !== undefined) {
      this.#backend.unlisten(channel, listener);
      this.#listeners.delete(channel);
    }
  }

  async acquireSessionSlot(key: string, max: number, sessionId: string): Promise<boolean> {
    const now = this.#now();
    requireName(key, 'key');
    requireName(sessionId, 'sessionId');
    requireCount(max, 'max', 0);
    return Promise.resolve(this.#backend.acquireSlot(key, max, sessionId, now, this.#slotTtlMs));
  }

  async releaseSessionSlot(key: string, sessionId: string): Promise<boolean> {
    return Promise.resolve(this.#backend.releaseSlot(key, sessionId, this.#now()));
  }

  async hitRate(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = this.#now();
    requireName(key, 'key');
    requireCount(limit, 'limit', 0);
    requireCount(windowMs, 'windowMs', 1);
    return Promise.resolve(this.#backend.hit(key, limit, windowMs, now));
  }

  async addUsage(counters: readonly UsageCounter[]): Promise<UsageTotals> {
    const now = this.#now();
    const valid = validateUsageCounters(counters);
    return Promise.resolve({ totals: this.#backend.addUsage(valid, now), nowMs: now });
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    this.#now();
    this.#backend.putKey(validateApiKeyRecord(record));
    return Promise.resolve();
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    this.#now();
    return Promise.resolve(this.#backend.getKey(keyId));
  }

  async listApiKeys(filter: { tenant?: string } = {}): Promise<ApiKeyRecord[]> {
    this.#now();
    return Promise.resolve(this.#backend.listKeys(filter.tenant));
  }

  async revokeApiKey(keyId: string): Promise<boolean> {
    this.#now();
    return Promise.resolve(this.#backend.revokeKey(keyId));
  }

  async deleteApiKey(keyId: string): Promise<boolean> {
    this.#now();
    return Promise.resolve(this.#backend.deleteKey(keyId));
  }

  stats(): StateStoreStats {
    return { ...this.#stats };
  }

  async ping(): Promise<void> {
    this.#now();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const channel of this.#dispatcher.channels()) {
      this.#unlisten(channel);
    }
    this.#dispatcher.clear();
    return Promise.resolve();
  }
}
