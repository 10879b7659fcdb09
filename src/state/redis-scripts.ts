import { createHash } from 'node:crypto';

/**
 * Lua scripts of RedisStateStore. Every script that needs "now" reads the Redis
 * server clock (TIME), so expiry and windows never depend on node clock skew.
 * Scripts touch several keys of one store prefix: standalone Redis (or one
 * cluster slot via a hash-tagged prefix such as `{vr}:`).
 */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: session hash, all-sessions index, tenant index. ARGV: ttlMs, id, field/value pairs.
 * Returns 0 if the session exists (conflict), else 1.
 */
export const SESSION_REGISTER = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`);

/** KEYS: session hash. ARGV: ttlMs, field/value pairs. Returns 0 if gone, else 1. */
export const SESSION_UPDATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`);

/**
 * KEYS: session hash, all-sessions index. ARGV: id, tenant-index key prefix.
 * Removes the record and its index entries; returns 1 if it existed.
 */
export const SESSION_REMOVE = new LuaScript(`
local tenant = redis.call('HGET', KEYS[1], 'tenant')
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if tenant then
  redis.call('SREM', ARGV[2] .. cjson.decode(tenant), ARGV[1])
end
return existed
`);

/**
 * Concurrency slots: a sorted set, member = session id, score = expiry (server ms).
 * KEYS: slot zset. ARGV: max, sessionId, ttlMs. Returns 1 if held, 0 if full.
 * Expired members are dropped first, so a crashed node's slots free themselves.
 */
export const SLOT_ACQUIRE = new LuaScript(`${NOW}
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[2])
if (not held) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`);

/** KEYS: slot zset. ARGV: sessionId. Returns 1 if a live slot was released. */
export const SLOT_RELEASE = new LuaScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZREM', KEYS[1], ARGV[1])
`);

/**
 * Sliding-window log: a sorted set of allowed hits, score = server ms.
 * KEYS: rate zset. ARGV: limit, windowMs, unique member.
 * Returns {1, 0} when allowed, {0, retryAfterMs} when not (denied hits are not recorded).
 */
export const RATE_HIT = new LuaScript(`${NOW}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
if retry < 1 then retry = 1 end
return {0, retry}
`);

/**
 * Fixed-window usage counters: KEYS[i] is a counter's base key, ARGV[2i-1] its amount,
 * ARGV[2i] its window (ms). The window's key is `KEYS[i]:<window index>` (INCRBY, then
 * PEXPIRE to the window's end plus a minute). Returns the totals, then the server ms.
 */
export const USAGE_ADD = new LuaScript(`${NOW}
local out = {}
for i = 1, #KEYS do
  local amount = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local index = math.floor(now / window)
  local key = KEYS[i] .. ':' .. index
  if amount > 0 then
    out[i] = redis.call('INCRBY', key, amount)
    redis.call('PEXPIRE', key, (index + 1) * window - now + 60000)
  else
    out[i] = tonumber(redis.call('GET', key) or '0')
  end
end
out[#KEYS + 1] = now
return out
`);

/** KEYS: API key hash. ARGV: encoded `true`. Returns 1 if the key existed. */
export const APIKEY_REVOKE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', ARGV[1])
return 1
`);
