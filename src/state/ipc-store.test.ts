import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runStateStoreContract, waitFor } from './contract.js';
import { serveStateOverIpc, type IpcStateHost } from './ipc-host.js';
import type { IpcPort } from './ipc-protocol.js';
import { IpcStateStore } from './ipc-store.js';
import { MemoryBackend } from './memory-store.js';

/** A MessagePort as an IpcPort, serialising as JSON like node:cluster's IPC channel. */
function portOf(p: MessagePort): IpcPort {
  return {
    send: (m) => p.postMessage(JSON.parse(JSON.stringify(m))),
    onMessage: (l) => {
      p.on('message', l);
      return () => p.off('message', l);
    },
    onClose: (l) => {
      p.on('close', l);
      return () => p.off('close', l);
    },
  };
}

const backends = new Map<string, MemoryBackend>();
const hosts: IpcStateHost[] = [];
const ports: MessagePort[] = [];

function backendFor(namespace: string): MemoryBackend {
  const backend = backends.get(namespace) ?? new MemoryBackend();
  backends.set(namespace, backend);
  return backend;
}

/** A worker-side store connected to a host serving `backend` over its own channel. */
function connect(
  backend: MemoryBackend,
  nodeId: string,
  ttl: { sessionTtlMs?: number; slotTtlMs?: number } = {},
) {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const host = serveStateOverIpc(portOf(port2), backend);
  hosts.push(host);
  return { store: new IpcStateStore(portOf(port1), { nodeId, ...ttl }), host, port1, port2 };
}

runStateStoreContract(
  'ipc (memory hosted in another process)',
  (o) =>
    Promise.resolve(
      connect(backendFor(o.namespace), o.nodeId, {
        sessionTtlMs: o.sessionTtlMs,
        slotTtlMs: o.slotTtlMs,
      }).store,
    ),
  async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
    for (const p of ports.splice(0)) {
      p.close();
    }
    backends.clear();
  },
  {
    publishRaw: (namespace, nodeId, raw) => {
      backendFor(namespace).publish(nodeId, raw);
      return Promise.resolve();
    },
  },
);

describe('IpcStateStore', () => {
  it('fails calls as store-unavailable once the host is gone, and the host drops its subscriptions', async () => {
    const backend = new MemoryBackend();
    const { store, host, port1 } = connect(backend, 'node-w1');
    await store.subscribeControl('node-w1', () => undefined);
    expect(host.openStores).toBe(1);
    expect(backend.publish('node-w1', '{}')).toBe(1);
    port1.close();
    await waitFor(() => host.openStores === 0, 'the host to close the dead worker store');
    expect(backend.publish('node-w1', '{}')).toBe(0);
    await expect(store.getSession('x')).rejects.toMatchObject({
      code: 'RELAY_ERR_STORE_UNAVAILABLE',
    });
    await store.close();
    await host.close();
  });
});
