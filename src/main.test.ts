import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConnect } from './cli/connect.js';
import { decodeWav } from './media/wav.js';
import { startRelayProcess } from './testing/relay-process.js';

describe('the relay process (README quickstart)', () => {
  it('starts on its embedded default, serves the CLI client, and drains to exit 0 on SIGTERM', async () => {
    const relay = await startRelayProcess(['--dev-tokens']);
    const started = relay;
    const dir = await mkdtemp(join(tmpdir(), 'vr-main-'));
    try {
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
      expect(await relay.stop()).toBe(0);
    } finally {
      relay.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
