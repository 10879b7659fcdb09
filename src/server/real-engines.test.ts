import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { rmsDbfs, silence } from '../media/pcm.js';
import { espeakSpeech } from '../media/vad/vad-fixtures.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

// Real Debian engines: .ci/run installs espeak-ng, pocketsphinx and pocketsphinx-en-us.
const GRAMMAR = `#JSGF V1.0;
grammar demo;
public <utterance> = hello | what time is it | what is the weather today | goodbye;
`;

let relay: Relay;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vr-real-'));
  // Budgets far beyond the engines: one a busy machine misses would cancel a turn.
  await writeFile(
    join(dir, 'local.yaml'),
    `name: local
stages:
  stt:
    endpoints: ['embedded:pocketsphinx']
    budgetMs: 30000
    interimResults: false
    endpointing: { silenceMs: 300 }
    grammar: |
${GRAMMAR.split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
  llm: { endpoints: ['embedded:reply'], budgetMs: 30000 }
  tts: { endpoints: ['embedded:espeak'], budgetMs: 30000, voice: en-us }
`,
  );
  relay = await startTestRelay({ pipelinesDir: dir });
});
afterAll(async () => {
  await relay?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('real engines end to end over the WebSocket path', () => {
  it('espeak-ng speech is transcribed exactly by pocketsphinx, answered offline, and spoken back by espeak-ng', async () => {
    expect(relay.engines?.unavailable).toEqual([]);
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'local',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    const speech = espeakSpeech('what time is it', 16000);
    await c.streamRealtime(
      Buffer.concat([silence(300, 16000), speech.pcm, silence(1500, 16000)]),
      16000,
    );
    const final = await c.log.waitFor('transcript.final', () => true, 15_000);
    expect(final.text).toBe('what time is it');
    const done = await c.log.waitFor('response.done', () => true, 15_000);
    expect(done.text).toMatch(/^It's \d{1,2}:\d{2}/);
    expect(c.audio.length).toBeGreaterThan(10);
    const loudest = Math.max(...c.audio.map((a) => rmsDbfs(a.payload)));
    expect(loudest).toBeGreaterThan(-30);
    const m = await c.log.waitFor('turn.metrics');
    expect(m.sttFinalMs).toBeGreaterThan(0);
    expect(m.ttsTtfaMs).toBeGreaterThan(0);
    await c.close();
  }, 40_000);
});
