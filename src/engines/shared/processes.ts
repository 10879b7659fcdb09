/** Helpers for engines that drive command-line programs. */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of `name` on PATH (or `name` itself when it contains a slash), if executable. */
export function findBinary(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) {
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when the process has neither exited nor been killed by a signal yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILL a child (Node reaps it on exit, so no zombie stays behind). */
export function killHard(child: ChildProcess): void {
  if (isRunning(child)) {
    child.kill('SIGKILL');
  }
}

/** Resolves once the child exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) {
    return Promise.resolve();
  }
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Whether a pid still exists (a reaped child does not). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keeps the last `max` characters of a child's stderr, for error messages. */
export class TailBuffer {
  readonly #max: number;
  #text = '';

  constructor(max = 2048) {
    this.#max = max;
  }

  push(chunk: Buffer | string): void {
    this.#text = (this.#text + chunk.toString()).slice(-this.#max);
  }

  get text(): string {
    return this.#text.trim();
  }
}
