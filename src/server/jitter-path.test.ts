import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { mulberry32 } from '../media/jitter/traces.js';
import { synthVoice } from '../media/pcm.js';
import { startRecordingStt } from '../testing/recording-stt.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

let stt: Awaited<ReturnType<typeof startRecordingStt>>;
let relay: Relay;
let dir: string;

beforeAll(async () => {
  stt = await startRecordingStt();
  dir = await mkdtemp(join(tmpdir(), 'vr-jitter-'));
  await writeFile(
    join(dir, 'rec.yaml'),
    `name: rec
stages:
  stt: { endpoints: ["${stt.address}"], budgetMs: 5000 }
  llm: { endpoints: [embedded:sim], budgetMs: 2000 }
  tts: { endpoints: [embedded:sim], budgetMs: 2000 }
`,
  );
  relay = await startTestRelay({ pipelinesDir: dir });
});
afterAll(async () => {
  await relay.close();
  await stt.close();
  await rm(dir, { recursive: true, force: true });
});

describe('uplink reorder buffer on the WebSocket path', () => {
  it('delivers reordered, duplicated and lossy frames to the STT stage strictly in order, nothing lost that was sent', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'rec',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    const rnd = mulberry32(7);
    const N = 200;
    const frame = synthVoice(20, 16000);
    const lost = new Set<number>();
    const order: number[] = [];
    for (let seq = 0; seq < N; seq++) {
      if (seq > 5 && seq < N - 5 && rnd() < 0.02) {
        lost.add(seq);
        continue;
      }
      order.push(seq);
    }
    // Bounded reordering: swap neighbours now and then; duplicate some frames.
    for (let i = 1; i < order.length - 1; i++) {
      if (rnd() < 0.05) {
        [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
        i++;
      }
    }
    const sends: number[] = [];
    for (const seq of order) {
      sends.push(seq);
      if (rnd() < 0.03) {
        sends.push(seq);
      }
    }
    // Real-time pacing by capture time: frame seq is due at t0 + 20·seq.
    const t0 = Date.now();
    for (const seq of sends) {
      const wait = t0 + seq * 20 - Date.now();
      if (wait > 1) {
        await new Promise<void>((r) => setTimeout(r, wait));
      }
      c.sendFrame(frame, seq, seq * 20);
    }
    const expected = N - lost.size;
    await stt.waitForChunks(expected, 15_000);
    const seqs = stt.chunks.map((x) => x.seq);
    // Every frame that was sent reaches STT once, strictly in order; nothing is made up.
    expect(seqs).toEqual(order.slice().sort((a, b) => a - b));
    expect(stt.chunks.some((x) => x.concealed)).toBe(false);
    const session = relay.sessions!.list()[0]!;
    const j = session.info().jitter;
    expect(j.duplicates).toBeGreaterThan(0);
    expect(j.late).toBe(0);
    await c.close();
  }, 30_000);
});
