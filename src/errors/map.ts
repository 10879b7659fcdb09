import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODES, RelayError, type ErrorCode } from './errors.js';

export function httpStatusOf(err: RelayError): number {
  return ERROR_CODES[err.code].http;
}

export function wsCloseCodeOf(err: RelayError): number {
  return ERROR_CODES[err.code].ws;
}

export function grpcStatusOf(err: RelayError): GrpcStatus {
  return ERROR_CODES[err.code].grpc;
}

/** gRPC statuses a stage server may return, mapped to relay codes. */
const FROM_GRPC: Partial<Record<GrpcStatus, ErrorCode>> = {
  [GrpcStatus.CANCELLED]: 'RELAY_ERR_CANCELLED',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'RELAY_ERR_DEADLINE',
  [GrpcStatus.UNAVAILABLE]: 'RELAY_ERR_STAGE_UNAVAILABLE',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'RELAY_ERR_STAGE_UNAVAILABLE',
  [GrpcStatus.INVALID_ARGUMENT]: 'RELAY_ERR_BAD_REQUEST',
  [GrpcStatus.UNAUTHENTICATED]: 'RELAY_ERR_STAGE_FAILED',
  [GrpcStatus.PERMISSION_DENIED]: 'RELAY_ERR_STAGE_FAILED',
};

/**
 * Statuses after which the same call can work again (the transport or the server was
 * momentarily unable); every other status (INVALID_ARGUMENT, UNIMPLEMENTED, PERMISSION_DENIED,
 * FAILED_PRECONDITION, …) would fail the same way again.
 */
const RETRYABLE_GRPC: ReadonlySet<GrpcStatus> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.ABORTED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNKNOWN,
  GrpcStatus.CANCELLED,
]);

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/**
 * Turn an error from a stage call into a RelayError. Upstream codes are
 * sanitised: anything unexpected becomes RELAY_ERR_STAGE_FAILED, with the
 * upstream status kept in the details. `retryable` says whether the same call could
 * succeed if made again (see RETRYABLE_GRPC).
 */
export function fromGrpcError(err: unknown, stage: string): RelayError {
  if (err instanceof RelayError) {
    return err;
  }
  if (isServiceError(err)) {
    const code = FROM_GRPC[err.code] ?? 'RELAY_ERR_STAGE_FAILED';
    return new RelayError(code, `${stage} stage: ${err.details || GrpcStatus[err.code]}`, {
      cause: err,
      details: { stage, grpcStatus: GrpcStatus[err.code] ?? String(err.code) },
      retryable: RETRYABLE_GRPC.has(err.code),
    });
  }
  // Not a gRPC status (e.g. the stream ended without one): the connection, not the request.
  const message = err instanceof Error ? err.message : String(err);
  return new RelayError('RELAY_ERR_STAGE_FAILED', `${stage} stage: ${message}`, {
    cause: err,
    details: { stage },
    retryable: true,
  });
}
