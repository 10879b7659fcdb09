export * from './types.js';
export { MemoryBackend, MemoryStateStore, type MemoryStateStoreOptions } from './memory-store.js';
export { RedisStateStore, type RedisStateStoreOptions } from './redis-store.js';
export { controlMessageSchema, sessionRecordSchema, apiKeyRecordSchema } from './records.js';
export * from './tenant-usage.js';
