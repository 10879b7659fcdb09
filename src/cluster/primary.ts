import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { limitKeyOf } from '../auth/principal.js';
import type { RelayConfig } from '../server/relay-config.js';
import { startRelay, type Relay } from '../server/relay.js';
import { serveStateOverIpc, type IpcStateHost } from '../state/ipc-host.js';
import type { IpcPort } from '../state/ipc-protocol.js';
import { MemoryBackend, MemoryStateStore } from '../state/memory-store.js';
import type { StateStore } from '../state/types.js';
import { workerPort } from './ipc.js';
import { ClusterRegistry, clusterMetrics } from './metrics.js';
import { WORKER_ENV, readySchema, workerNodeId } from './protocol.js';

interface Slot {
  index: number;
  worker: Worker;
  port: IpcPort;
  host: IpcStateHost | undefined;
  ready: boolean;
}

export interface ClusterRelay {
  /** The primary: gateway (role all) or ops listener (role media), all workers' /metrics. */
  readonly relay: Relay;
  readonly mediaAddress: string;
  readonly workers: number;
  /** SIGTERM every worker (each drains), wait for them, then close the primary. */
  stop(): Promise<number>;
}

/** Remove a dead worker's session records and free their concurrency slots. */
async function releaseSessionsOf(store: StateStore, node: string): Promise<number> {
  const records = (await store.listSessions()).filter((r) => r.node === node);
  for (const r of records) {
    const key = limitKeyOf({
      tenant: r.tenant,
      ...(r.keyId === undefined ? {} : { keyId: r.keyId }),
    });
    await store.releaseSessionSlot(`sessions:${key}`, r.id);
    await store.removeSession(r.id);
  }
  return records.length;
}

/**
 * `--workers N`: the primary forks N relay workers that share the media, carrier and
 * signalling listeners (node:cluster hands connections round-robin), hosts the box's
 * memory state for them (or leaves it to Redis), and runs the gateway or the ops
 * listener itself, off the workers' media event loops. A worker that exits unexpectedly
 * has its sessions released from the registry and is forked again.
 */
export async function startCluster(
  config: Readonly<RelayConfig>,
  logger: Logger,
  count: number,
): Promise<ClusterRelay> {
  const node = config.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Dev-mode tokens are signed by the primary's gateway and checked by the workers.
  const devSecret =
    config.devTokens && config.jwt.hs256Secret === undefined
      ? randomBytes(32).toString('base64url')
      : undefined;
  const primaryConfig: RelayConfig = {
    ...config,
    nodeId: node,
    ...(devSecret === undefined ? {} : { jwt: { ...config.jwt, hs256Secret: devSecret } }),
  };
  const backend = config.redisUrl === undefined ? new MemoryBackend() : undefined;
  const slots = new Map<number, Slot>();
  let stopping = false;
  let mediaAddress = '';
  const local = new Registry();
  collectDefaultMetrics({ register: local });
  const counters = clusterMetrics(local, () => [...slots.values()].filter((s) => s.ready).length);
  /** The primary's store, once it runs (releases a dead worker's sessions). */
  const live: { store?: StateStore } = {};

  const fork = (index: number): Promise<void> => {
    const worker = cluster.fork({
      [WORKER_ENV.index]: String(index),
      [WORKER_ENV.node]: node,
      ...(devSecret === undefined ? {} : { VOICE_RELAY_JWT_SECRET: devSecret }),
    });
    const port = workerPort(worker);
    const host = backend === undefined ? undefined : serveStateOverIpc(port, backend);
    const slot: Slot = { index, worker, port, host, ready: false };
    slots.set(index, slot);
    return new Promise<void>((resolve, reject) => {
      const offReady = port.onMessage((m) => {
        const ready = readySchema.safeParse(m);
        if (ready.success) {
          offReady();
          slot.ready = true;
          mediaAddress = ready.data.media;
          resolve();
        }
      });
      worker.once('exit', (code, signal) => {
        offReady();
        slot.ready = false;
        void host?.close();
        if (slots.get(index) === slot) {
          slots.delete(index);
        }
        reject(new Error(`worker ${index} exited before it was ready (${signal ?? code})`));
        if (!stopping) {
          void onCrash(index, code, signal);
        }
      });
    });
  };

  const onCrash = async (index: number, code: number | null, signal: string | null) => {
    logger.error({ worker: index, code, signal }, 'worker exited; restarting it');
    counters.restarts.inc();
    const dead = workerNodeId(node, index);
    if (live.store !== undefined) {
      try {
        const released = await releaseSessionsOf(live.store, dead);
        logger.info(
          { worker: index, node: dead, sessions: released },
          'released the sessions of a dead worker',
        );
      } catch (err) {
        logger.warn(
          { worker: index, err: String(err) },
          'could not release the sessions of a dead worker',
        );
      }
    }
    if (!stopping) {
      fork(index).catch((err: unknown) => {
        logger.error({ worker: index, err: String(err) }, 'restarted worker failed to start');
      });
    }
  };

  const stopWorkers = async (): Promise<number> => {
    stopping = true;
    const exits = [...slots.values()].map(
      (s) =>
        new Promise<number>((resolve) => {
          if (s.worker.isDead()) {
            resolve(s.worker.process.exitCode ?? 1);
            return;
          }
          s.worker.once('exit', (code) => resolve(code ?? 1));
          s.worker.process.kill('SIGTERM');
        }),
    );
    const codes = await Promise.all(exits);
    return codes.every((c) => c === 0) ? 0 : 1;
  };

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => fork(i + 1)));
  } catch (err) {
    await stopWorkers();
    throw err;
  }

  const registry = new ClusterRegistry(local, () =>
    [...slots.values()].filter((s) => s.ready).map((s) => s.port),
  );
  const primaryStore =
    backend === undefined ? undefined : new MemoryStateStore({ nodeId: node, backend });
  let relay: Relay;
  try {
    relay = await startRelay(primaryConfig, logger, {
      cluster: { part: 'primary', registry, ready: () => [...slots.values()].some((s) => s.ready) },
      ...(primaryStore === undefined ? {} : { store: primaryStore }),
    });
  } catch (err) {
    await stopWorkers();
    throw err;
  }
  live.store = relay.store;
  const started = relay;
  return {
    relay,
    mediaAddress,
    workers: count,
    async stop() {
      await started.drain(0);
      const code = await stopWorkers();
      await started.close();
      return code;
    },
  };
}
