import { RelayError } from '../errors/index.js';

type ExecResult = [error: Error | null, result: unknown][] | null;

/** The values of a MULTI/EXEC or pipeline, throwing its first error (or an aborted transaction). */
export function results(exec: ExecResult): unknown[] {
  if (exec === null) {
    throw new Error('transaction aborted');
  }
  return exec.map(([error, value]) => {
    if (error !== null) {
      throw error;
    }
    return value;
  });
}

/** RELAY_ERR_STORE_UNAVAILABLE (503, retryable) for a failed store operation. */
export function unavailable(op: string, cause: unknown): RelayError {
  return new RelayError('RELAY_ERR_STORE_UNAVAILABLE', 'state store unavailable', {
    ...(cause === undefined ? {} : { cause }),
    retryable: true,
    details: { op },
  });
}
