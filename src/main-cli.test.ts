import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RELAY_ENV_NAMES, RELAY_FLAGS } from './server/relay-config.js';
import { startRedisServer } from './state/redis-harness.js';
import { startRelayProcess } from './testing/relay-process.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const PKG = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string };
const SECRET = 'example-secret-example-secret-0123456789';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('voice-relay command line', () => {
  it('--help and --version exit 0; an unknown flag exits 2 pointing at --help', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const flag of Object.keys(RELAY_FLAGS)) {
      expect(help.stdout).toContain(`--${flag}`);
    }
    for (const env of RELAY_ENV_NAMES) {
      expect(help.stdout).toContain(env);
    }
    const version = run(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(PKG.version);
    const bad = run(['--nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--help');
  }, 60_000);

  it('names every setting the same way in the README as in --help', () => {
    const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');
    const config = readme.slice(readme.indexOf('## Configuration'));
    for (const flag of Object.keys(RELAY_FLAGS).filter((f) => f !== 'help' && f !== 'version')) {
      expect(config, flag).toContain(`\`--${flag}`);
    }
    for (const env of RELAY_ENV_NAMES) {
      expect(config, env).toContain(env);
    }
  });

  it('starts on the example production config, ready on its ops listener; SIGTERM exits 0', async () => {
    const redis = await startRedisServer();
    try {
      const relay = await startRelayProcess(
        ['--config', 'src/config/relay.example.yaml', '--host', '127.0.0.1'],
        { VOICE_RELAY_JWT_SECRET: SECRET, VOICE_RELAY_REDIS_URL: redis.url },
      );
      try {
        expect(relay.ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await fetch(`${relay.ops ?? ''}/readyz`)).status).toBe(200);
        expect(relay.output()).not.toContain('no client credential source');
        expect(await relay.stop()).toBe(0);
      } finally {
        relay.child.kill('SIGKILL');
      }
    } finally {
      await redis.stop();
    }
  }, 60_000);

  it('warns at start when no client could ever authenticate', async () => {
    const relay = await startRelayProcess(['--role', 'media']);
    try {
      await expect
        .poll(() => relay.output(), { timeout: 10_000 })
        .toContain('no client credential source');
    } finally {
      await relay.stop();
    }
  }, 60_000);
});
