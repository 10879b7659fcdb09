import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';

/**
 * Test harness: a throwaway real `redis-server` on a free loopback port, no
 * persistence. The binary is taken from REDIS_SERVER_BIN or PATH. A missing
 * binary is an error, not a skip: CI installs redis-server.
 */
export interface RedisServerHandle {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  /** Start a fresh, empty server on the same port (after `stop`, or stopping it first). */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Default: REDIS_SERVER_BIN or `redis-server`. */
  binary?: string;
  /** How long to wait for PONG; default 10 s. */
  startTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  if (port === 0) {
    throw new Error('could not allocate a free port');
  }
  return port;
}

/** One PING over a raw socket; resolves true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) {
        done(reply.startsWith('+PONG'));
      }
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) {
    return;
  }
  const exit = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await exit;
  } finally {
    clearTimeout(timer);
  }
}

/** Spawn redis-server on `port` and wait for PONG. */
async function spawnRedis(binary: string, port: number, timeoutMs: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push('--daemonize', 'no', '--logfile', '');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError !== undefined) {
      const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? `redis-server not found (binary "${binary}"): install redis-server (apt-get install redis-server) or set REDIS_SERVER_BIN; the Redis state-store tests require it`
          : `cannot start redis-server: ${spawnError.message}`,
        { cause: spawnError },
      );
    }
    if (exited(child)) {
      throw new Error(
        `redis-server exited during start-up (code ${String(child.exitCode)}):\n${output}`,
      );
    }
    if (await ping(port)) {
      return child;
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`redis-server did not answer PING within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startRedisServer(
  options: StartRedisOptions = {},
): Promise<RedisServerHandle> {
  const binary = options.binary ?? process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const port = await freePort();
  let child = await spawnRedis(binary, port, timeoutMs);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopChild(child),
    restart: async () => {
      await stopChild(child);
      child = await spawnRedis(binary, port, timeoutMs);
    },
  };
}
