import { status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import type { RelayError } from '../errors/errors.js';
import { fromGrpcError } from '../errors/map.js';
import type { StageName } from '../frames/events.js';

export interface CallWatchHandlers<T> {
  onData(msg: T): void;
  /** Exactly once: undefined on success (all data delivered), else the error. */
  onDone(err: RelayError | undefined, status: StatusObject): void;
}

/**
 * Completion of a gRPC streaming call as one callback. grpc-js reports the status
 * as soon as it arrives, possibly before buffered messages are read; a successful
 * call is complete only after both the status and the end of the data.
 */
export function watchCall<T>(
  call: Readable & { on(event: 'status', l: (s: StatusObject) => void): unknown },
  stage: StageName,
  handlers: CallWatchHandlers<T>,
): void {
  let ended = false;
  let status: StatusObject | undefined;
  let done = false;
  const finish = (err: RelayError | undefined, s: StatusObject): void => {
    if (!done) {
      done = true;
      handlers.onDone(err, s);
    }
  };
  call.on('data', (msg: T) => {
    if (!done) {
      handlers.onData(msg);
    }
  });
  call.on('error', () => undefined); // reported through 'status'
  call.on('end', () => {
    ended = true;
    if (status !== undefined) {
      finish(undefined, status);
    }
  });
  call.on('status', (s: StatusObject) => {
    status = s;
    if (s.code !== GrpcStatus.OK) {
      const err = Object.assign(new Error(s.details), {
        code: s.code,
        details: s.details,
        metadata: s.metadata,
      });
      finish(fromGrpcError(err, stage), s);
    } else if (ended) {
      finish(undefined, s);
    }
  });
}
