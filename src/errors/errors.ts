import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * The one error model of the relay. Every failure that crosses a boundary is a
 * RelayError with a stable code; `errors/map` turns the code into an HTTP status,
 * a WebSocket close code and a gRPC status, so every surface reports it the same way.
 */
export const ERROR_CODES = {
  RELAY_ERR_BAD_REQUEST: {
    http: 400,
    ws: 4000,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
  },
  RELAY_ERR_UNAUTHENTICATED: {
    http: 401,
    ws: 1008,
    grpc: GrpcStatus.UNAUTHENTICATED,
    retryable: false,
  },
  RELAY_ERR_TOKEN_EXPIRED: {
    http: 401,
    ws: 1008,
    grpc: GrpcStatus.UNAUTHENTICATED,
    retryable: false,
  },
  RELAY_ERR_FORBIDDEN: {
    http: 403,
    ws: 1008,
    grpc: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
  },
  RELAY_ERR_NOT_FOUND: { http: 404, ws: 4004, grpc: GrpcStatus.NOT_FOUND, retryable: false },
  RELAY_ERR_CONFLICT: { http: 409, ws: 4009, grpc: GrpcStatus.ALREADY_EXISTS, retryable: false },
  RELAY_ERR_PAYLOAD_TOO_LARGE: {
    http: 413,
    ws: 1009,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: false,
  },
  RELAY_ERR_RATE_LIMITED: {
    http: 429,
    ws: 1013,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: true,
  },
  RELAY_ERR_PROTOCOL: { http: 400, ws: 4002, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  RELAY_ERR_CONFIG: { http: 400, ws: 4003, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  RELAY_ERR_DRAINING: { http: 503, ws: 1001, grpc: GrpcStatus.UNAVAILABLE, retryable: true },
  RELAY_ERR_OVERLOADED: { http: 503, ws: 1013, grpc: GrpcStatus.UNAVAILABLE, retryable: true },
  RELAY_ERR_STORE_UNAVAILABLE: {
    http: 503,
    ws: 1013,
    grpc: GrpcStatus.UNAVAILABLE,
    retryable: true,
  },
  RELAY_ERR_STAGE_UNAVAILABLE: {
    http: 502,
    ws: 1011,
    grpc: GrpcStatus.UNAVAILABLE,
    retryable: true,
  },
  RELAY_ERR_STAGE_FAILED: { http: 502, ws: 1011, grpc: GrpcStatus.INTERNAL, retryable: false },
  RELAY_ERR_DEADLINE: { http: 504, ws: 1011, grpc: GrpcStatus.DEADLINE_EXCEEDED, retryable: true },
  RELAY_ERR_CANCELLED: { http: 499, ws: 1000, grpc: GrpcStatus.CANCELLED, retryable: false },
  RELAY_ERR_SLOW_CONSUMER: {
    http: 503,
    ws: 4008,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: false,
  },
  /** Caller audio dropped beyond the session's uplink budget (an `error` event, not a close). */
  RELAY_ERR_AUDIO_DROPPED: {
    http: 503,
    ws: 1013,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: true,
  },
  /** The pipeline's guard refused a turn (a deny rule or the moderation endpoint). */
  RELAY_ERR_GUARD_BLOCKED: {
    http: 403,
    ws: 4010,
    grpc: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
  },
  /** A tenant quota (LLM tokens, TTS characters, STT seconds) is used up for its window. */
  RELAY_ERR_QUOTA_EXCEEDED: {
    http: 429,
    ws: 4029,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: false,
  },
  RELAY_ERR_CLOSED: { http: 410, ws: 1000, grpc: GrpcStatus.CANCELLED, retryable: false },
  RELAY_ERR_INTERNAL: { http: 500, ws: 1011, grpc: GrpcStatus.INTERNAL, retryable: false },
} as const satisfies Record<
  string,
  { http: number; ws: number; grpc: GrpcStatus; retryable: boolean }
>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface RelayErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Extra fields safe to show to a client (never secrets). */
  details?: Record<string, string | number | boolean>;
}

export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, string | number | boolean>> | undefined;

  constructor(code: ErrorCode, message: string, options: RelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RelayError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.details = options.details;
  }

  /** The JSON body used on HTTP refusals and in `error` events. */
  toJSON(): {
    code: ErrorCode;
    message: string;
    details?: Record<string, string | number | boolean>;
  } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: { ...this.details } };
  }
}

export function isRelayError(err: unknown): err is RelayError {
  return err instanceof RelayError;
}

/** Wrap anything thrown into a RelayError, keeping RelayErrors as they are. */
export function toRelayError(err: unknown, fallback: ErrorCode = 'RELAY_ERR_INTERNAL'): RelayError {
  if (err instanceof RelayError) {
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new RelayError(fallback, message, { cause: err });
}
