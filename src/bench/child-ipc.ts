import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Benchmark children (the relay, the direct pipe, the REST load) run in their own
 * process so their CPU and memory can be attributed. They talk to the parent over
 * Node IPC: one `ready` message, then request/response by id.
 */
export interface ChildStats {
  /** process.cpuUsage() user + system, µs. */
  cpuUs: number;
  rssBytes: number;
  /** V8 heap used + external (Buffers) memory. */
  heapBytes: number;
  /** V8 heap committed (used or not) and the memory of ArrayBuffers (Buffers) alone. */
  heapTotalBytes: number;
  arrayBuffersBytes: number;
  extra: Record<string, number>;
}

interface Request {
  id: number;
  type: string;
  arg?: unknown;
}

interface Response {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export type ChildHandler = (arg: unknown) => unknown;

/** Child side: announce `info`, then answer requests (stats, gc, stop + `handlers`). */
export function serveParent(
  info: unknown,
  handlers: Record<string, ChildHandler>,
  extraStats: () => Promise<Record<string, number>> | Record<string, number> = () => ({}),
  onStop: () => Promise<void> = () => Promise.resolve(),
  /** CPU of what the child stands for, µs (default this process; a cluster sums its workers). */
  cpuUs: () => Promise<number> | number = () => {
    const cpu = process.cpuUsage();
    return cpu.user + cpu.system;
  },
): void {
  const send = (m: unknown): void => {
    process.send?.(m);
  };
  const all: Record<string, ChildHandler> = {
    ...handlers,
    stats: async (): Promise<ChildStats> => {
      const mem = process.memoryUsage();
      return {
        cpuUs: await cpuUs(),
        rssBytes: mem.rss,
        heapBytes: mem.heapUsed + mem.external,
        heapTotalBytes: mem.heapTotal,
        arrayBuffersBytes: mem.arrayBuffers,
        extra: await extraStats(),
      };
    },
    gc: () => {
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().rss;
    },
    stop: async () => {
      await onStop();
      setImmediate(() => process.exit(0));
      return true;
    },
  };
  process.on('message', (m: Request) => {
    const h = all[m.type];
    if (h === undefined) {
      send({ id: m.id, ok: false, error: `unknown request ${m.type}` } satisfies Response);
      return;
    }
    Promise.resolve()
      .then(() => h(m.arg))
      .then(
        (value) => send({ id: m.id, ok: true, value } satisfies Response),
        (err: unknown) => send({ id: m.id, ok: false, error: String(err) } satisfies Response),
      );
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', info });
}

export interface BenchChild<I> {
  readonly info: I;
  readonly pid: number;
  request<T>(type: string, arg?: unknown): Promise<T>;
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

/**
 * Parent side: spawn `node --expose-gc [nodeArgs] --import tsx script '<config json>'` and
 * wait for ready (`nodeArgs` e.g. `--cpu-prof` to profile the child).
 */
export async function spawnBenchChild<I>(
  script: string,
  config: unknown,
  nodeArgs: readonly string[] = [],
  /** Extra environment variables of the child (e.g. MALLOC_ARENA_MAX). */
  env: Readonly<Record<string, string>> = {},
): Promise<BenchChild<I>> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', ...nodeArgs, '--import', 'tsx', script, JSON.stringify(config)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } },
  );
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const info = await new Promise<I>((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`${script} exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.on('message', (m: { type?: string; info?: I } & Partial<Response>) => {
      if (m.type === 'ready') {
        child.off('exit', onExit);
        resolve(m.info as I);
        return;
      }
      const p = m.id === undefined ? undefined : pending.get(m.id);
      if (p !== undefined && m.id !== undefined) {
        pending.delete(m.id);
        if (m.ok === true) {
          p.resolve(m.value);
        } else {
          p.reject(new Error(m.error ?? 'child request failed'));
        }
      }
    });
  });
  child.on('exit', () => {
    for (const p of pending.values()) {
      p.reject(new Error(`${script} exited`));
    }
    pending.clear();
  });
  const request = <T>(type: string, arg?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      child.send({ id, type, arg } satisfies Request);
    });
  return {
    info,
    pid: child.pid ?? 0,
    request,
    stats: () => request<ChildStats>('stats'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      request('stop').catch(() => child.kill('SIGTERM'));
      await exited;
      clearTimeout(kill);
    },
  };
}
