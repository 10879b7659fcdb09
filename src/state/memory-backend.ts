import { EventEmitter } from 'node:events';
import { sortByCreation } from './records.js';
import type {
  ApiKeyRecord,
  RateLimitResult,
  SessionPatch,
  SessionRecord,
  UsageCounter,
} from './types.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

const SWEEP_EVERY_OPS = 512;

/**
 * The data behind MemoryStateStore. Several stores may share one backend: they
 * then behave like relay nodes sharing one Redis (tests, or several logical
 * nodes in one process). Expiry is lazy (checked on access) plus a periodic
 * sweep on writes, so it needs no timer. Values are copied in and out.
 */
export class MemoryBackend {
  readonly #sessions = new Map<string, Expiring<SessionRecord>>();
  readonly #slots = new Map<string, Map<string, number>>();
  readonly #rates = new Map<string, number[]>();
  readonly #apiKeys = new Map<string, ApiKeyRecord>();
  /** `key|windowMs` → the total of its current window. */
  readonly #usage = new Map<string, { window: number; windowMs: number; total: number }>();
  readonly #bus = new EventEmitter();
  #ops = 0;

  constructor() {
    this.#bus.setMaxListeners(0);
  }

  #liveSession(id: string, now: number): Expiring<SessionRecord> | undefined {
    const entry = this.#sessions.get(id);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.#sessions.delete(id);
      return undefined;
    }
    return entry;
  }

  #sweep(now: number): void {
    if (++this.#ops % SWEEP_EVERY_OPS !== 0) {
      return;
    }
    for (const [id, entry] of this.#sessions) {
      if (entry.expiresAt <= now) {
        this.#sessions.delete(id);
      }
    }
    for (const [key, members] of this.#slots) {
      this.#liveSlots(key, members, now);
    }
    for (const [key, u] of this.#usage) {
      if (u.window < Math.floor(now / u.windowMs)) {
        this.#usage.delete(key);
      }
    }
    for (const [key, hits] of this.#rates) {
      if ((hits.at(-1) ?? -Infinity) <= now - 3_600_000) {
        this.#rates.delete(key);
      }
    }
  }

  insertSession(record: SessionRecord, now: number, ttlMs: number): boolean {
    this.#sweep(now);
    if (this.#liveSession(record.id, now) !== undefined) {
      return false;
    }
    this.#sessions.set(record.id, { value: structuredClone(record), expiresAt: now + ttlMs });
    return true;
  }

  patchSession(id: string, patch: SessionPatch, now: number, ttlMs: number): boolean {
    this.#sweep(now);
    const entry = this.#liveSession(id, now);
    if (entry === undefined) {
      return false;
    }
    entry.value = { ...entry.value, ...structuredClone(patch), updatedAtMs: now };
    entry.expiresAt = now + ttlMs;
    return true;
  }

  touchSession(id: string, now: number, ttlMs: number): boolean {
    const entry = this.#liveSession(id, now);
    if (entry !== undefined) {
      entry.expiresAt = now + ttlMs;
    }
    return entry !== undefined;
  }

  deleteSession(id: string, now: number): boolean {
    return this.#liveSession(id, now) !== undefined && this.#sessions.delete(id);
  }

  readSession(id: string, now: number): SessionRecord | undefined {
    const entry = this.#liveSession(id, now);
    return entry === undefined ? undefined : structuredClone(entry.value);
  }

  readSessions(now: number, tenant: string | undefined): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const id of [...this.#sessions.keys()]) {
      const entry = this.#liveSession(id, now);
      if (entry !== undefined && (tenant === undefined || entry.value.tenant === tenant)) {
        out.push(structuredClone(entry.value));
      }
    }
    return sortByCreation(out, (r) => r.id);
  }

  #liveSlots(key: string, members: Map<string, number>, now: number): Map<string, number> {
    for (const [member, expiresAt] of members) {
      if (expiresAt <= now) {
        members.delete(member);
      }
    }
    if (members.size === 0) {
      this.#slots.delete(key);
    }
    return members;
  }

  acquireSlot(key: string, max: number, member: string, now: number, ttlMs: number): boolean {
    this.#sweep(now);
    const members = this.#liveSlots(key, this.#slots.get(key) ?? new Map<string, number>(), now);
    if (!members.has(member) && members.size >= max) {
      return false;
    }
    members.set(member, now + ttlMs);
    this.#slots.set(key, members);
    return true;
  }

  releaseSlot(key: string, member: string, now: number): boolean {
    const members = this.#slots.get(key);
    if (members === undefined) {
      return false;
    }
    const released = (members.get(member) ?? -Infinity) > now && members.delete(member);
    this.#liveSlots(key, members, now);
    return released;
  }

  hit(key: string, limit: number, windowMs: number, now: number): RateLimitResult {
    this.#sweep(now);
    const hits = (this.#rates.get(key) ?? []).filter((t) => t > now - windowMs);
    let result: RateLimitResult;
    if (hits.length < limit) {
      hits.push(now);
      result = { allowed: true, retryAfterMs: 0 };
    } else {
      const oldest = hits[0] ?? now;
      result = { allowed: false, retryAfterMs: Math.max(1, Math.ceil(oldest + windowMs - now)) };
    }
    if (hits.length === 0) {
      this.#rates.delete(key);
    } else {
      this.#rates.set(key, hits);
    }
    return result;
  }

  addUsage(counters: readonly UsageCounter[], now: number): number[] {
    this.#sweep(now);
    return counters.map((c) => {
      const id = `${c.key}|${c.windowMs}`;
      const window = Math.floor(now / c.windowMs);
      let u = this.#usage.get(id);
      if (u === undefined || u.window !== window) {
        u = { window, windowMs: c.windowMs, total: 0 };
        if (c.amount > 0) {
          this.#usage.set(id, u);
        }
      }
      u.total += c.amount;
      return u.total;
    });
  }

  putKey(record: ApiKeyRecord): void {
    this.#apiKeys.set(record.keyId, structuredClone(record));
  }

  getKey(keyId: string): ApiKeyRecord | undefined {
    const record = this.#apiKeys.get(keyId);
    return record === undefined ? undefined : structuredClone(record);
  }

  listKeys(tenant: string | undefined): ApiKeyRecord[] {
    const out = [...this.#apiKeys.values()]
      .filter((r) => tenant === undefined || r.tenant === tenant)
      .map((r) => structuredClone(r));
    return sortByCreation(out, (r) => r.keyId);
  }

  revokeKey(keyId: string): boolean {
    const record = this.#apiKeys.get(keyId);
    if (record !== undefined) {
      record.revoked = true;
    }
    return record !== undefined;
  }

  deleteKey(keyId: string): boolean {
    return this.#apiKeys.delete(keyId);
  }

  /** Deliver asynchronously (like a network bus); returns the listener count. */
  publish(channel: string, raw: string): number {
    const receivers = this.#bus.listenerCount(channel);
    if (receivers > 0) {
      queueMicrotask(() => {
        this.#bus.emit(channel, raw);
      });
    }
    return receivers;
  }

  listen(channel: string, listener: (raw: string) => void): void {
    this.#bus.on(channel, listener);
  }

  unlisten(channel: string, listener: (raw: string) => void): void {
    this.#bus.off(channel, listener);
  }
}
