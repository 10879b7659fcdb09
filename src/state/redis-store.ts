import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { z } from 'zod';
import { nowMs } from '../core/index.js';
import { RelayError } from '../errors/index.js';
import { emptyStats } from './control.js';
import { noop, RedisControlSubscriber, shutdown } from './redis-control.js';
import { results, unavailable } from './redis-results.js';
import {
  apiKeyRecordSchema,
  encodeControlMessage,
  fromHashFields,
  parseSessionHash,
  requireCount,
  requireName,
  sessionRecordSchema,
  sortByCreation,
  toHashFields,
  validateApiKeyRecord,
  validateSessionPatch,
  validateSessionRecord,
  validateUsageCounters,
} from './records.js';
import {
  APIKEY_REVOKE,
  RATE_HIT,
  SESSION_REGISTER,
  SESSION_REMOVE,
  SESSION_UPDATE,
  SLOT_ACQUIRE,
  SLOT_RELEASE,
  USAGE_ADD,
  type LuaScript,
} from './redis-scripts.js';
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

export interface RedisStateStoreOptions extends StateStoreOptions {
  /** e.g. redis://[:password@]host:6379/0 */
  url: string;
  /** Prefix of every key and channel; default `vr:`. */
  keyPrefix?: string;
  /** Overrides for ioredis (timeouts, TLS, retry strategy...). */
  redisOptions?: Omit<RedisOptions, 'replyMapping'>;
}

/**
 * Fleet state store on Redis (ioredis). Layout under the prefix P:
 * - `P session:ID` hash (fields hold JSON), PEXPIRE = session TTL; indexes
 *   `P sessions` and `P sessions:tenant:T` (sets, pruned lazily when listed);
 * - `P slots:KEY` zset member=session id, score=expiry; `P rate:KEY` zset of hits;
 * - `P apikey:ID` hash, index `P apikeys`;
 * - control channel `P control:NODE`, on a dedicated subscriber connection.
 * Connects lazily; an unreachable server surfaces as RELAY_ERR_STORE_UNAVAILABLE (503, retryable).
 */
export class RedisStateStore implements StateStore {
  readonly nodeId: string;
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #sessionTtlMs: number;
  readonly #slotTtlMs: number;
  readonly #maxInfoBytes: number;
  readonly #stats = emptyStats();
  readonly #control: RedisControlSubscriber;
  #closed = false;
  /** Set once the first connection is ready: from then on a lost connection fails fast. */
  #everReady = false;

  constructor(options: RedisStateStoreOptions) {
    this.nodeId = requireName(options.nodeId, 'nodeId');
    this.#prefix = options.keyPrefix ?? 'vr:';
    this.#sessionTtlMs = requireCount(
      options.sessionTtlMs ?? STATE_DEFAULTS.sessionTtlMs,
      'sessionTtlMs',
      1,
    );
    this.#slotTtlMs = requireCount(options.slotTtlMs ?? STATE_DEFAULTS.slotTtlMs, 'slotTtlMs', 1);
    this.#maxInfoBytes = options.maxInfoBytes ?? STATE_DEFAULTS.maxInfoBytes;
    this.#client = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: 5_000,
      commandTimeout: requireCount(
        options.commandTimeoutMs ?? STATE_DEFAULTS.commandTimeoutMs,
        'commandTimeoutMs',
        1,
      ),
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * 2 ** times, 2_000),
      connectionName: `vr-state:${this.nodeId}`,
      ...options.redisOptions,
    });
    // ioredis reports connection errors as events; commands reject on their own.
    this.#client.on('error', noop);
    this.#client.on('ready', () => {
      this.#everReady = true;
    });
    this.#control = new RedisControlSubscriber(
      this.#client,
      `vr-state-sub:${this.nodeId}`,
      this.#stats,
    );
  }

  #key(kind: string, name?: string): string {
    return name === undefined ? `${this.#prefix}${kind}` : `${this.#prefix}${kind}:${name}`;
  }

  async #run<T>(op: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new RelayError('RELAY_ERR_CLOSED', 'state store closed');
    }
    if (this.#everReady && this.#client.status !== 'ready') {
      // The connection is known to be down (ioredis reconnects in the background):
      // fail now rather than queue the command until a timeout.
      throw unavailable(op, undefined);
    }
    try {
      return await fn(this.#client);
    } catch (err) {
      if (err instanceof RelayError) {
        throw err;
      }
      throw unavailable(op, err);
    }
  }

  async #eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return this.#client.eval(script.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }

  async registerSession(record: SessionRecord): Promise<void> {
    const created = await this.#run('registerSession', async () => {
      const r = validateSessionRecord(record, this.#maxInfoBytes);
      const keys = [this.#key('session', r.id), this.#key('sessions'), this.#tenantIndex(r.tenant)];
      return this.#eval(SESSION_REGISTER, keys, [this.#sessionTtlMs, r.id, ...toHashFields(r)]);
    });
    if (created !== 1) {
      throw new RelayError('RELAY_ERR_CONFLICT', 'session already registered', {
        details: { sessionId: record.id },
      });
    }
  }

  #tenantIndex(tenant: string): string {
    return this.#key('sessions:tenant', tenant);
  }

  async updateSession(id: string, patch: SessionPatch): Promise<boolean> {
    const updated = await this.#run('updateSession', async () => {
      const fields = toHashFields({
        ...validateSessionPatch(patch, this.#maxInfoBytes),
        updatedAtMs: nowMs(),
      });
      return this.#eval(
        SESSION_UPDATE,
        [this.#key('session', id)],
        [this.#sessionTtlMs, ...fields],
      );
    });
    return updated === 1;
  }

  async touchSessions(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) {
      return this.#run('touchSessions', () => Promise.resolve(0));
    }
    return this.#run('touchSessions', async (c) => {
      const pipe = c.pipeline();
      for (const id of ids) {
        pipe.pexpire(this.#key('session', id), this.#sessionTtlMs);
      }
      return results(await pipe.exec()).filter((v) => v === 1).length;
    });
  }

  async removeSession(id: string): Promise<boolean> {
    const removed = await this.#run('removeSession', () =>
      this.#eval(
        SESSION_REMOVE,
        [this.#key('session', id), this.#key('sessions')],
        [id, `${this.#key('sessions:tenant')}:`],
      ),
    );
    return removed === 1;
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const hash = await this.#run('getSession', (c) => c.hgetall(this.#key('session', id)));
    const record = parseSessionHash(hash);
    if (record === 'corrupt') {
      throw new RelayError('RELAY_ERR_INTERNAL', 'corrupt session record', {
        details: { sessionId: id },
      });
    }
    return record === 'missing' ? undefined : record;
  }

  /**
   * Read the records of an index set: prune members whose hash is gone, skip and
   * count corrupt ones, filter by tenant, sort by creation.
   */
  async #readIndexed<T extends { tenant: string; createdAtMs: number }>(
    index: string,
    hashKey: (id: string) => string,
    schema: z.ZodType<T>,
    tenant: string | undefined,
    idOf: (record: T) => string,
  ): Promise<T[]> {
    const hashes = await this.#run('list', async (c) => {
      const ids = await c.smembers(index);
      if (ids.length === 0) {
        return [];
      }
      const pipe = c.pipeline();
      for (const id of ids) {
        pipe.hgetall(hashKey(id));
      }
      const found = results(await pipe.exec()) as Record<string, string>[];
      const stale = ids.filter((_, i) => Object.keys(found[i] ?? {}).length === 0);
      if (stale.length > 0) {
        await c.srem(index, ...stale);
      }
      return found;
    });
    const out: T[] = [];
    for (const hash of hashes) {
      const fields = fromHashFields(hash);
      const parsed = fields === undefined ? undefined : schema.safeParse(fields);
      if (parsed?.success === false) {
        this.#stats.corruptRecords++;
      } else if (parsed !== undefined && (tenant === undefined || parsed.data.tenant === tenant)) {
        out.push(parsed.data);
      }
    }
    return sortByCreation(out, idOf);
  }

  async listSessions(filter: { tenant?: string } = {}): Promise<SessionRecord[]> {
    const { tenant } = filter;
    const index = tenant === undefined ? this.#key('sessions') : this.#tenantIndex(tenant);
    const hashKey = (id: string): string => this.#key('session', id);
    return this.#readIndexed(index, hashKey, sessionRecordSchema, tenant, (r) => r.id);
  }

  async publishControl(nodeId: string, message: ControlMessage): Promise<number> {
    return this.#run('publishControl', (c) =>
      c.publish(this.#key('control', requireName(nodeId, 'nodeId')), encodeControlMessage(message)),
    );
  }

  async subscribeControl(nodeId: string, handler: ControlHandler): Promise<() => Promise<void>> {
    const channel = this.#key('control', requireName(nodeId, 'nodeId'));
    await this.#run('subscribeControl', () => this.#control.subscribe(channel, handler));
    let active = true;
    return async () => {
      if (!active || this.#closed) {
        return;
      }
      active = false;
      await this.#run('unsubscribeControl', () => this.#control.unsubscribe(channel, handler));
    };
  }

  async acquireSessionSlot(key: string, max: number, sessionId: string): Promise<boolean> {
    const held = await this.#run('acquireSessionSlot', () =>
      this.#eval(
        SLOT_ACQUIRE,
        [this.#key('slots', requireName(key, 'key'))],
        [requireCount(max, 'max', 0), requireName(sessionId, 'sessionId'), this.#slotTtlMs],
      ),
    );
    return held === 1;
  }

  async releaseSessionSlot(key: string, sessionId: string): Promise<boolean> {
    const released = await this.#run('releaseSessionSlot', () =>
      this.#eval(SLOT_RELEASE, [this.#key('slots', key)], [sessionId]),
    );
    return released === 1;
  }

  async hitRate(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const reply = await this.#run('hitRate', () =>
      this.#eval(
        RATE_HIT,
        [this.#key('rate', requireName(key, 'key'))],
        [requireCount(limit, 'limit', 0), requireCount(windowMs, 'windowMs', 1), randomUUID()],
      ),
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new RelayError('RELAY_ERR_INTERNAL', 'unexpected rate-limit reply');
    }
    return { allowed: reply[0] === 1, retryAfterMs: reply[0] === 1 ? 0 : reply[1] };
  }

  async addUsage(counters: readonly UsageCounter[]): Promise<UsageTotals> {
    const valid = validateUsageCounters(counters);
    const reply = await this.#run('addUsage', () =>
      this.#eval(
        USAGE_ADD,
        valid.map((c) => this.#key('usage', `${c.key}:${c.windowMs}`)),
        valid.flatMap((c) => [c.amount, c.windowMs]),
      ),
    );
    if (!Array.isArray(reply) || !reply.every((v) => typeof v === 'number')) {
      throw new RelayError('RELAY_ERR_INTERNAL', 'unexpected usage reply');
    }
    return { totals: reply.slice(0, valid.length), nowMs: reply[valid.length] ?? Date.now() };
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    await this.#run('putApiKey', async (c) => {
      const r = validateApiKeyRecord(record);
      const key = this.#key('apikey', r.keyId);
      const tx = c
        .multi()
        .del(key)
        .hset(key, ...toHashFields(r))
        .sadd(this.#key('apikeys'), r.keyId);
      results(await tx.exec());
    });
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    const hash = await this.#run('getApiKey', (c) => c.hgetall(this.#key('apikey', keyId)));
    const fields = fromHashFields(hash);
    if (fields === undefined) {
      return undefined;
    }
    const parsed = apiKeyRecordSchema.safeParse(fields);
    if (!parsed.success) {
      throw new RelayError('RELAY_ERR_INTERNAL', 'corrupt API key record', { details: { keyId } });
    }
    return parsed.data;
  }

  async listApiKeys(filter: { tenant?: string } = {}): Promise<ApiKeyRecord[]> {
    const hashKey = (id: string): string => this.#key('apikey', id);
    const index = this.#key('apikeys');
    return this.#readIndexed(index, hashKey, apiKeyRecordSchema, filter.tenant, (r) => r.keyId);
  }

  async revokeApiKey(keyId: string): Promise<boolean> {
    const revoked = await this.#run('revokeApiKey', () =>
      this.#eval(APIKEY_REVOKE, [this.#key('apikey', keyId)], [JSON.stringify(true)]),
    );
    return revoked === 1;
  }

  async deleteApiKey(keyId: string): Promise<boolean> {
    const [deleted] = await this.#run('deleteApiKey', async (c) =>
      results(
        await c.multi().del(this.#key('apikey', keyId)).srem(this.#key('apikeys'), keyId).exec(),
      ),
    );
    return deleted === 1;
  }

  async ping(): Promise<void> {
    await this.#run('ping', (c) => c.ping());
  }

  stats(): StateStoreStats {
    return { ...this.#stats };
  }

  /** Quit both connections (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await Promise.all([shutdown(this.#client), this.#control.close()]);
  }
}
