import { describe, expect, it } from 'vitest';
import { runStateStoreContract } from './contract.js';
import { MemoryBackend, MemoryStateStore } from './memory-store.js';

const backends = new Map<string, MemoryBackend>();

function backendFor(namespace: string): MemoryBackend {
  let backend = backends.get(namespace);
  if (backend === undefined) {
    backend = new MemoryBackend();
    backends.set(namespace, backend);
  }
  return backend;
}

runStateStoreContract(
  'memory',
  (o) =>
    Promise.resolve(
      new MemoryStateStore({
        nodeId: o.nodeId,
        sessionTtlMs: o.sessionTtlMs,
        slotTtlMs: o.slotTtlMs,
        backend: backendFor(o.namespace),
      }),
    ),
  () => {
    backends.clear();
    return Promise.resolve();
  },
  {
    publishRaw: (namespace, nodeId, raw) => {
      backendFor(namespace).publish(nodeId, raw);
      return Promise.resolve();
    },
  },
);

describe('MemoryStateStore', () => {
  it('uses the injected clock for TTLs, slots and windows', async () => {
    let now = 1_000_000;
    const store = new MemoryStateStore({
      nodeId: 'n',
      sessionTtlMs: 100,
      slotTtlMs: 100,
      clock: { now: () => now },
    });
    await store.registerSession({
      id: 's',
      tenant: 't',
      pipeline: 'p',
      node: 'n',
      transport: 'ws',
      state: 'active',
      createdAtMs: now,
      updatedAtMs: now,
    });
    expect(await store.acquireSessionSlot('k', 1, 's')).toBe(true);
    expect(await store.hitRate('r', 1, 100)).toEqual({ allowed: true, retryAfterMs: 0 });
    now += 40;
    expect(await store.hitRate('r', 1, 100)).toEqual({ allowed: false, retryAfterMs: 60 });
    now += 59;
    expect(await store.getSession('s')).toBeDefined();
    expect(await store.acquireSessionSlot('k', 1, 'other')).toBe(false);
    now += 1;
    expect(await store.getSession('s')).toBeUndefined();
    expect(await store.acquireSessionSlot('k', 1, 'other')).toBe(true);
    expect((await store.hitRate('r', 1, 100)).allowed).toBe(true);
    await store.close();
  });
});
