import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifySchemaValidationError,
} from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, type ConfigProblem } from '../config/pipelines.js';
import { httpStatusOf, RelayError, type ErrorCode } from '../errors/index.js';

/** `{"error":{"code","message"}}` plus optional `details` and `problems` (config errors). */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details?: Record<string, string | number | boolean>;
    problems?: ConfigProblem[];
  };
}

export function errorBody(err: RelayError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) {
    body.error.details = { ...err.details };
  }
  if (err instanceof ConfigError) {
    body.error.problems = err.problems.map((p) => ({ ...p }));
  }
  return body;
}

export function sendError(reply: FastifyReply, err: RelayError): FastifyReply {
  if (err.code === 'RELAY_ERR_RATE_LIMITED') {
    const ms = err.details?.['retryAfterMs'];
    if (typeof ms === 'number') {
      void reply.header('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
    }
  }
  return reply.code(httpStatusOf(err)).send(errorBody(err));
}

function fieldOf(v: FastifySchemaValidationError): string {
  const path = v.instancePath
    .split('/')
    .filter((s) => s !== '')
    .join('.');
  const extra = v.params['missingProperty'] ?? v.params['additionalProperty'];
  const leaf = typeof extra === 'string' ? extra : '';
  return [path, leaf].filter((s) => s !== '').join('.');
}

/** A fastify schema-validation error as RELAY_ERR_BAD_REQUEST naming the field. */
function validationError(
  validation: FastifySchemaValidationError[],
  context: string | undefined,
): RelayError {
  const first = validation[0];
  const where = context ?? 'request';
  if (first === undefined) {
    return new RelayError('RELAY_ERR_BAD_REQUEST', `invalid ${where}`);
  }
  const field = fieldOf(first);
  const reason =
    first.keyword === 'additionalProperties'
      ? 'unknown field'
      : first.keyword === 'required'
        ? 'required'
        : (first.message ?? 'invalid');
  const label = field === '' ? where : `${where}.${field}`;
  return new RelayError('RELAY_ERR_BAD_REQUEST', `${label}: ${reason}`, {
    details: { in: where, field },
  });
}

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && typeof (err as Partial<FastifyError>).code === 'string';
}

/** Anything thrown in a route or by fastify itself, as a RelayError safe to show. */
export function toGatewayError(err: unknown): RelayError {
  if (err instanceof RelayError) {
    return err;
  }
  if (isFastifyError(err)) {
    if (err.validation !== undefined) {
      return validationError(err.validation, err.validationContext);
    }
    const status = err.statusCode ?? 500;
    if (status === 413) {
      return new RelayError('RELAY_ERR_PAYLOAD_TOO_LARGE', 'request body too large');
    }
    if (status === 404) {
      return new RelayError('RELAY_ERR_NOT_FOUND', 'not found');
    }
    if (status === 415) {
      return new RelayError('RELAY_ERR_BAD_REQUEST', 'unsupported content type (use JSON)');
    }
    if (status >= 400 && status < 500) {
      // Fastify's 4xx messages describe the request (bad JSON, empty body), not internals.
      return new RelayError('RELAY_ERR_BAD_REQUEST', err.message);
    }
  }
  return new RelayError('RELAY_ERR_INTERNAL', 'internal error', { cause: err });
}

/** One error handler and one not-found handler for the whole gateway. */
export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: unknown, request, reply) => {
    const relayErr = toGatewayError(err);
    const status = httpStatusOf(relayErr);
    const fields = { method: request.method, route: request.routeOptions.url, status };
    if (status >= 500) {
      log.error({ ...fields, err }, 'gateway request failed');
    } else {
      log.debug({ ...fields, code: relayErr.code }, 'gateway request refused');
    }
    return sendError(reply, relayErr);
  });
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, new RelayError('RELAY_ERR_NOT_FOUND', 'route not found')),
  );
}
