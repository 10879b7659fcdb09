import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runConnect } from './cli/connect.js';
import { decodeWav } from './media/wav.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('the relay process (README quickstart)', () => {
  it('starts on its embedded default, serves the CLI client, and drains to exit 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, '--dev-tokens', '--port', '0', '--gateway-port', '0'],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const dir = await mkdtemp(join(tmpdir(), 'vr-main-'));
    try {
      const started = await new Promise<{ media: string; gateway: string }>((resolve, reject) => {
        let out = '';
        const t = setTimeout(() => reject(new Error(`relay did not start:\n${out}`)), 20_000);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          for (const line of out.split('\n')) {
            if (line.includes('"msg":"relay started"')) {
              clearTimeout(t);
              resolve(JSON.parse(line) as { media: string; gateway: string });
            }
          }
        });
        child.once('exit', (code) => reject(new Error(`relay exited early (${code}):\n${out}`)));
      });
      const lines: string[] = [];
      const out = join(dir, 'reply.wav');
      const turns = await runConnect({
        url: `ws://${started.media}`,
        gateway: started.gateway,
        pipeline: 'sim',
        token: undefined,
        via: 'header',
        wav: undefined,
        out,
        tailMs: 1500,
        print: (l) => lines.push(l),
      });
      expect(turns.length).toBe(2);
      expect(lines.filter((l) => l.startsWith('you:'))).toHaveLength(2);
      expect(lines.some((l) => /voice-to-voice\s+\d+ ms/.test(l))).toBe(true);
      const wav = decodeWav(await readFile(out));
      expect(wav.data.length).toBeGreaterThan(16000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
