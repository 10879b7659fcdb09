import { RelayError } from '../errors/index.js';
import { errorToIpc, ipcRequestSchema, type IpcPort, type IpcRequest } from './ipc-protocol.js';
import { MemoryBackend, MemoryStateStore } from './memory-store.js';
import { requireName } from './records.js';
import type { StateStoreOptions } from './types.js';

interface Hosted {
  store: MemoryStateStore;
  /** channel → raw listener on the backend bus */
  channels: Map<string, (raw: string) => void>;
}

export interface IpcStateHost {
  /** Stores opened over this port and still open. */
  readonly openStores: number;
  close(): Promise<void>;
}

const optionsSchemaKeys = ['sessionTtlMs', 'slotTtlMs', 'maxInfoBytes'] as const;

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function storeOptions(raw: unknown): StateStoreOptions {
  if (raw === null || typeof raw !== 'object') {
    throw new RelayError('RELAY_ERR_BAD_REQUEST', 'open: options must be an object');
  }
  const o = raw as Record<string, unknown>;
  const options: StateStoreOptions = { nodeId: requireName(text(o['nodeId']), 'nodeId') };
  for (const k of optionsSchemaKeys) {
    const v = o[k];
    if (typeof v === 'number') {
      options[k] = v;
    }
  }
  return options;
}

/**
 * Serve the state of one box to a worker over `port`: each store the worker opens is a
 * MemoryStateStore on the shared `backend` (so workers are nodes sharing one memory
 * "Redis"), and control channels it subscribes to are forwarded raw. When the port
 * closes (the worker died), its stores close and its subscriptions end; its session
 * records are removed by the cluster primary (it knows the worker's node id).
 */
export function serveStateOverIpc(port: IpcPort, backend: MemoryBackend): IpcStateHost {
  const stores = new Map<string, Hosted>();

  const unlistenAll = (h: Hosted): void => {
    for (const [channel, listener] of h.channels) {
      backend.unlisten(channel, listener);
    }
    h.channels.clear();
  };

  async function handle(req: IpcRequest): Promise<unknown> {
    if (req.method === 'open') {
      if (!stores.has(req.store)) {
        const store = new MemoryStateStore({ ...storeOptions(req.args[0]), backend });
        stores.set(req.store, { store, channels: new Map() });
      }
      return undefined;
    }
    const h = stores.get(req.store);
    if (h === undefined) {
      throw new RelayError('RELAY_ERR_CLOSED', 'state store closed');
    }
    switch (req.method) {
      case 'subscribe': {
        const channel = requireName(text(req.args[0]), 'nodeId');
        if (!h.channels.has(channel)) {
          const listener = (raw: string): void => {
            port.send({ vr: 'state-control', store: req.store, channel, raw });
          };
          h.channels.set(channel, listener);
          backend.listen(channel, listener);
        }
        return undefined;
      }
      case 'unsubscribe': {
        const channel = requireName(text(req.args[0]), 'nodeId');
        const listener = h.channels.get(channel);
        if (listener !== undefined) {
          backend.unlisten(channel, listener);
          h.channels.delete(channel);
        }
        return undefined;
      }
      case 'close':
        unlistenAll(h);
        stores.delete(req.store);
        await h.store.close();
        return undefined;
      default: {
        // The data calls: the memory store validates every argument itself.
        const fn: unknown = Reflect.get(h.store, req.method);
        if (typeof fn !== 'function') {
          throw new RelayError('RELAY_ERR_BAD_REQUEST', 'unknown state method');
        }
        return (await Reflect.apply(fn, h.store, req.args)) as unknown;
      }
    }
  }

  const offMessage = port.onMessage((m) => {
    const parsed = ipcRequestSchema.safeParse(m);
    if (!parsed.success) {
      return; // Not a state request (other cluster messages share the channel).
    }
    const req = parsed.data;
    handle(req).then(
      (value) => send({ vr: 'state-reply', id: req.id, ok: true, value }),
      (err: unknown) => send({ vr: 'state-reply', id: req.id, ok: false, error: errorToIpc(err) }),
    );
  });

  function send(message: unknown): void {
    try {
      port.send(message);
    } catch {
      // The worker is gone; its port's close handler cleans up.
    }
  }

  const closeAll = async (): Promise<void> => {
    for (const h of stores.values()) {
      unlistenAll(h);
      await h.store.close();
    }
    stores.clear();
  };
  const offClose = port.onClose(() => void closeAll());

  return {
    get openStores() {
      return stores.size;
    },
    async close() {
      offMessage();
      offClose();
      await closeAll();
    },
  };
}

export { MemoryBackend };
