/**
 * Shared by the headless-Chromium scenarios (browser-scenario.ts, converse-scenario.ts)
 * and their tests: the Chromium flags for WebRTC on loopback with a fake microphone, the
 * page poll, and running a scenario in its own process (and network namespace).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

type Json = Record<string, unknown>;

export function chromiumArgs(wav: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
    `--use-file-for-fake-audio-capture=${wav}%noloop`,
  ];
}

/**
 * Polls a page expression until it is truthy (rejects after `timeoutMs`). Uses
 * page.evaluate, which the page's CSP does not restrict (waitForFunction needs eval).
 */
export async function waitInPage(page: Page, expr: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(`Boolean(${expr})`)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${expr}`);
    }
    await new Promise<void>((r) => setTimeout(r, 50));
  }
}

/** Runs `node --import tsx SCENARIO name args` (in `unshare -n` as root); resolves its RESULT. */
export function runScenarioProcess(
  scenario: string,
  name: string,
  args: Json,
  timeoutMs: number,
): Promise<Json> {
  const node = `exec node --import tsx ${shellQuote(scenario)} ${name} ${shellQuote(JSON.stringify(args))}`;
  const asRoot = process.getuid?.() === 0 && existsSync('/usr/bin/unshare');
  const [cmd, argv] = asRoot
    ? ['unshare', ['-n', 'sh', '-c', `ip link set lo up && ${node}`]]
    : ['sh', ['-c', node]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        process.kill(-child.pid, 'SIGKILL');
      }
      reject(new Error(`scenario ${name} timed out\n${err.slice(-4000)}`));
    }, timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) {
        reject(new Error(`scenario ${name} printed no result\n${out}\n${err.slice(-4000)}`));
        return;
      }
      const result = JSON.parse(line.slice('RESULT '.length)) as Json;
      if (result['ok'] !== true) {
        reject(
          new Error(`scenario ${name} failed: ${String(result['error'])}\n${err.slice(-4000)}`),
        );
        return;
      }
      resolve(result);
    });
  });
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
