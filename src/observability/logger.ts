import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Field paths that may hold secrets; pino replaces their values before writing. */
export const REDACT_PATHS = [
  'token',
  'apiKey',
  'secret',
  'password',
  'authorization',
  '*.token',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
  'req.headers["x-api-key"]',
];

export interface LoggerConfig {
  level: string;
  name?: string;
  /** Human-readable lines (a terminal) instead of JSON lines (files, collectors). */
  pretty?: boolean;
}

/**
 * The process logger: JSON lines (pretty lines on a terminal), static messages, values in fields. Modules take a
 * child (`log.child({ module: 'pipeline' })`); sessions take one child when created.
 */
export function createLogger(config: LoggerConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { name: config.name ?? 'voice-relay' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.pretty === true) {
    // Synchronous, in-process (no worker thread): same redaction, readable on a TTY.
    return pino(
      options,
      pretty({
        destination: destination ?? 1,
        sync: true,
        colorize: destination === undefined,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,name',
      }),
    );
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** A logger that writes nothing (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
