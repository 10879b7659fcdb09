import { randomUUID } from 'node:crypto';
import { RelayError } from '../errors/index.js';
import { ControlDispatcher, emptyStats } from './control.js';
import {
  errorFromIpc,
  ipcControlSchema,
  ipcReplySchema,
  type IpcPort,
  type IpcStoreMethod,
} from './ipc-protocol.js';
import { requireName } from './records.js';
import type {
  ApiKeyRecord,
  ControlHandler,
  ControlMessage,
  RateLimitResult,
  SessionPatch,
  SessionRecord,
  StateStore,
  StateStoreOptions,
  StateStoreStats,
  UsageCounter,
  UsageTotals,
} from './types.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: RelayError) => void;
}

/**
 * A StateStore whose data lives in another process (the cluster primary, see
 * `serveStateOverIpc`): every call is a request over the IPC port, answered by a
 * MemoryStateStore on the host's shared backend, so all workers of one box see one
 * registry, one control bus, one set of slots and rate windows. Control messages
 * arrive raw and are validated and dispatched here, like the other stores do.
 * If the host goes away, pending and later calls fail RELAY_ERR_STORE_UNAVAILABLE.
 */
export class IpcStateStore implements StateStore {
  readonly nodeId: string;
  readonly #port: IpcPort;
  readonly #id = randomUUID();
  readonly #pending = new Map<number, Pending>();
  readonly #stats = emptyStats();
  readonly #dispatcher = new ControlDispatcher(this.#stats);
  readonly #off: (() => void)[] = [];
  readonly #opened: Promise<unknown>;
  #next = 0;
  #closed = false;
  #lost = false;

  constructor(port: IpcPort, options: StateStoreOptions) {
    this.nodeId = requireName(options.nodeId, 'nodeId');
    this.#port = port;
    this.#off.push(
      port.onMessage((m) => this.#onMessage(m)),
      port.onClose(() => this.#onLost()),
    );
    this.#opened = this.#call('open', [options]);
    // A failed open surfaces on every later call (they wait for it).
    this.#opened.catch(() => undefined);
  }

  #onMessage(m: unknown): void {
    const reply = ipcReplySchema.safeParse(m);
    if (reply.success) {
      const pending = this.#pending.get(reply.data.id);
      if (pending !== undefined) {
        this.#pending.delete(reply.data.id);
        if (reply.data.ok) {
          pending.resolve(reply.data.value);
        } else {
          pending.reject(errorFromIpc(reply.data.error));
        }
      }
      return;
    }
    const control = ipcControlSchema.safeParse(m);
    if (control.success && control.data.store === this.#id) {
      this.#dispatcher.dispatch(control.data.channel, control.data.raw);
    }
  }

  #onLost(): void {
    this.#lost = true;
    for (const p of this.#pending.values()) {
      p.reject(unavailable());
    }
    this.#pending.clear();
  }

  #call(method: IpcStoreMethod, args: unknown[]): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new RelayError('RELAY_ERR_CLOSED', 'state store closed'));
    }
    if (this.#lost) {
      return Promise.reject(unavailable());
    }
    const id = ++this.#next;
    return new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#port.send({ vr: 'state', id, store: this.#id, method, args });
      } catch {
        this.#pending.delete(id);
        reject(unavailable());
      }
    });
  }

  async #request<T>(method: IpcStoreMethod, ...args: unknown[]): Promise<T> {
    await this.#opened;
    // The host validated the call with the same schemas the memory store uses.
    return (await this.#call(method, args)) as T;
  }

  registerSession(record: SessionRecord): Promise<void> {
    return this.#request('registerSession', record);
  }
  updateSession(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#request('updateSession', id, patch);
  }
  touchSessions(ids: readonly string[]): Promise<number> {
    return this.#request('touchSessions', ids);
  }
  removeSession(id: string): Promise<boolean> {
    return this.#request('removeSession', id);
  }
  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.#request('getSession', id);
  }
  listSessions(filter: { tenant?: string } = {}): Promise<SessionRecord[]> {
    return this.#request('listSessions', filter);
  }
  publishControl(nodeId: string, message: ControlMessage): Promise<number> {
    return this.#request('publishControl', nodeId, message);
  }

  async subscribeControl(nodeId: string, handler: ControlHandler): Promise<() => Promise<void>> {
    const channel = requireName(nodeId, 'nodeId');
    if (this.#closed) {
      throw new RelayError('RELAY_ERR_CLOSED', 'state store closed');
    }
    if (this.#dispatcher.add(channel, handler)) {
      try {
        await this.#request('subscribe', channel);
      } catch (err) {
        this.#dispatcher.remove(channel, handler);
        throw err;
      }
    }
    let active = true;
    return async () => {
      if (!active) {
        return;
      }
      active = false;
      if (this.#dispatcher.remove(channel, handler) && !this.#closed) {
        await this.#request('unsubscribe', channel);
      }
    };
  }

  acquireSessionSlot(key: string, max: number, sessionId: string): Promise<boolean> {
    return this.#request('acquireSessionSlot', key, max, sessionId);
  }
  releaseSessionSlot(key: string, sessionId: string): Promise<boolean> {
    return this.#request('releaseSessionSlot', key, sessionId);
  }
  hitRate(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    return this.#request('hitRate', key, limit, windowMs);
  }
  addUsage(counters: readonly UsageCounter[]): Promise<UsageTotals> {
    return this.#request('addUsage', counters);
  }
  putApiKey(record: ApiKeyRecord): Promise<void> {
    return this.#request('putApiKey', record);
  }
  getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#request('getApiKey', keyId);
  }
  listApiKeys(filter: { tenant?: string } = {}): Promise<ApiKeyRecord[]> {
    return this.#request('listApiKeys', filter);
  }
  revokeApiKey(keyId: string): Promise<boolean> {
    return this.#request('revokeApiKey', keyId);
  }
  deleteApiKey(keyId: string): Promise<boolean> {
    return this.#request('deleteApiKey', keyId);
  }
  ping(): Promise<void> {
    return this.#request('ping');
  }

  stats(): StateStoreStats {
    return { ...this.#stats };
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    const closing = this.#lost ? Promise.resolve() : this.#request('close').catch(() => undefined);
    await closing;
    this.#closed = true;
    this.#dispatcher.clear();
    for (const off of this.#off.splice(0)) {
      off();
    }
  }
}

function unavailable(): RelayError {
  return new RelayError('RELAY_ERR_STORE_UNAVAILABLE', 'state host unreachable');
}
