import type { Serializable } from 'node:child_process';
import type { Worker } from 'node:cluster';
import type { IpcPort } from '../state/ipc-protocol.js';

/** The primary's end of one worker's IPC channel. */
export function workerPort(worker: Worker): IpcPort {
  return {
    send: (m) => {
      if (worker.isConnected()) {
        worker.send(m as Serializable);
      }
    },
    onMessage: (l) => {
      worker.on('message', l);
      return () => worker.off('message', l);
    },
    onClose: (l) => {
      worker.once('disconnect', l);
      return () => worker.off('disconnect', l);
    },
  };
}

/** A worker's end of its IPC channel to the primary. */
export function primaryPort(): IpcPort {
  return {
    send: (m) => {
      if (process.connected && process.send !== undefined) {
        process.send(m);
      }
    },
    onMessage: (l) => {
      process.on('message', l);
      return () => process.off('message', l);
    },
    onClose: (l) => {
      process.once('disconnect', l);
      return () => process.off('disconnect', l);
    },
  };
}
