import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GenerateResponse__Output } from '../../generated/voicerelay/v1/GenerateResponse.js';
import { simClients, StreamRecorder } from './test-support.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'src/engines/main.ts');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

describe('engine CLI', () => {
  it('starts a sim server with a profile file, prints its address and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    const profile = join(dir, 'profile.json');
    await writeFile(
      profile,
      JSON.stringify({ llm: { mode: 'scripted', script: ['From the file.'], ttftMs: 0 } }),
    );
    const child = spawn(TSX, [MAIN, 'sim', '--port', '0', '--profile', profile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /sim engine listening on (\S+)/.exec(out);
          if (m?.[1] !== undefined) {
            resolve(m[1]);
          }
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const clients = simClients(address);
      const rec = new StreamRecorder<GenerateResponse__Output>(
        clients.llm.Generate({ requestId: 'cli', messages: [{ role: 'USER', content: 'hi' }] }),
      );
      await rec.done();
      clients.close();
      expect(rec.messages.map((m) => m.delta?.text ?? '').join('')).toBe('From the file.');
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown engine kind', async () => {
    const child = spawn(TSX, [MAIN, 'nonesuch'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', (c) => resolve(c)),
    );
    expect(code).toBe(2);
  });
});
