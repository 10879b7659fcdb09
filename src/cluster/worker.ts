import dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { RelayConfig } from '../server/relay-config.js';
import { startRelay } from '../server/relay.js';
import { IpcStateStore } from '../state/ipc-store.js';
import { primaryPort } from './ipc.js';
import { answerMetricsRequests, workerMetrics } from './metrics.js';
import { WORKER_ENV, workerNodeId } from './protocol.js';

/**
 * node:cluster shares every listening socket of a worker through the primary, UDP ones
 * included: two workers' n-th `bind(0)` would share one port, and datagrams of one
 * worker's WebRTC peer would reach the other. A worker's UDP sockets (ICE) are its own.
 */
function exclusiveUdpSockets(): void {
  const proto = dgram.Socket.prototype;
  // Re-applied below with the socket as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const bind = proto.bind;
  proto.bind = function (this: dgram.Socket, ...args: unknown[]) {
    const first = args[0];
    if (first !== null && typeof first === 'object' && !('exclusive' in first)) {
      args[0] = { ...first, exclusive: true };
    } else if (typeof first !== 'object' || first === null) {
      // bind(port?, address?, cb?) form: the object form says exclusive.
      const [port, address, cb] = args;
      const options = {
        exclusive: true,
        ...(typeof port === 'number' ? { port } : {}),
        ...(typeof address === 'string' ? { address } : {}),
      };
      const callback = [port, address, cb].find((a) => typeof a === 'function');
      return Reflect.apply(
        bind,
        this,
        callback === undefined ? [options] : [options, callback],
      ) as dgram.Socket;
    }
    return Reflect.apply(bind, this, args) as dgram.Socket;
  };
}

/**
 * One relay worker of a cluster: the media side only (listeners shared through the
 * primary), its state in the primary (memory) or in Redis, its metrics scraped by the
 * primary over IPC. SIGTERM (sent by the primary) drains like a single process; losing
 * the primary drains too.
 */
export async function runWorker(config: Readonly<RelayConfig>, logger: Logger): Promise<void> {
  exclusiveUdpSockets();
  const index = Number(process.env[WORKER_ENV.index] ?? '0');
  const nodeId = workerNodeId(process.env[WORKER_ENV.node] ?? 'relay', index);
  const log = logger.child({ worker: index });
  const port = primaryPort();
  const store =
    config.redisUrl === undefined
      ? new IpcStateStore(port, {
          nodeId,
          commandTimeoutMs: config.state.commandTimeoutMs,
        })
      : undefined;
  let relay;
  try {
    relay = await startRelay({ ...config, nodeId }, log, {
      cluster: { part: 'worker' },
      ...(store === undefined ? {} : { store }),
    });
  } catch (err) {
    log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker failed to start');
    process.exitCode = 1;
    await store?.close();
    process.disconnect();
    return;
  }
  const sessions = relay.sessions;
  workerMetrics(relay.metrics.registry, index, () => sessions?.list().length ?? 0);
  const offMetrics = answerMetricsRequests(port, relay.metrics.registry);
  log.info({ node: nodeId, media: relay.mediaAddress, pid: process.pid }, 'worker started');
  port.send({ vr: 'ready', media: relay.mediaAddress ?? '' });

  let stopping = false;
  const started = relay;
  const stop = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal, graceMs: config.drainGraceMs }, 'draining');
    void started
      .drain(config.drainGraceMs)
      .then(() => started.close())
      .then(
        () => {
          log.info('worker stopped');
          process.exitCode = 0;
        },
        (err: unknown) => {
          log.error({ err: String(err) }, 'worker shutdown failed');
          process.exitCode = 1;
        },
      )
      .finally(() => {
        offMetrics();
        if (process.connected) {
          process.disconnect();
        }
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('disconnect', () => stop('primary gone'));
}
