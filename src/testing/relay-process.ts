import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RelayProcess {
  child: ChildProcess;
  /** host:port of the media listener */
  media: string;
  /** base URL of the gateway */
  gateway: string;
  node: string;
  /** base URL of the ops listener (media-only nodes) */
  ops?: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Start the relay as its own process (`node --import tsx src/main.ts ARGS`) on free ports,
 * one relay process unless ARGS say `--workers`.
 */
export async function startRelayProcess(
  args: string[],
  env: Record<string, string> = {},
  startTimeoutMs = 30_000,
): Promise<RelayProcess> {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', MAIN, '--port', '0', '--gateway-port', '0', '--ops-port', '0'],
      ...['--workers', '1', ...args],
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let out = '';
  type Started = { media: string; gateway: string; node: string; ops?: string };
  const started = await new Promise<Started>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`relay did not start:\n${out}`)), startTimeoutMs);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      for (const line of out.split('\n')) {
        if (line.includes('"msg":"relay started"')) {
          clearTimeout(t);
          resolve(JSON.parse(line) as Started);
        }
      }
    });
    child.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`relay exited early (${code}):\n${out}`));
    });
  });
  return {
    child,
    ...started,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
      }
      return exited;
    },
  };
}
