import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { silence, synthVoice } from '../media/pcm.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/**
 * Echo acceptance: the client's "speakerphone" feeds the agent's reply audio back into
 * its microphone at -10 dB. The sim STT transcribes each voiced run as the next entry
 * of its transcript list, so utterance 2 (the echo of the first sentence) reads as the
 * agent's own words, and utterance 3 (the caller talking over the second) as new words.
 */
const GAIN = 10 ** (-10 / 20);
const FIRST = 'Sure, let me tell you a story.';
// Twelve spaces: 720 ms of silence in the sim voice, so the echo's first run ends.
const REPLY = `${FIRST}            Once upon a time there was a very long answer that went on and on for a good while longer.`;
const FRAME_BYTES = 640;

let relay: Relay;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vr-echo-'));
  await writeFile(
    join(dir, 'echo.yaml'),
    `name: echo
stages:
  stt:
    endpoints: [embedded:sim]
    budgetMs: 3000
    endpointing: { silenceMs: 500 }
    options: { transcripts: '${JSON.stringify(['tell me a story', FIRST, 'wait stop please'])}' }
    sim: { finalDelayMs: 100, partialCadenceMs: 100 }
  llm:
    endpoints: [embedded:sim]
    budgetMs: 3000
    sim: { mode: scripted, script: ["${REPLY}"], ttftMs: 50, interTokenMs: 5 }
  tts:
    endpoints: [embedded:sim]
    budgetMs: 3000
    sim: { firstAudioMs: 50, msPerChar: 60, chunkMs: 20, realTimeFactor: 0.2 }
interruptions: { minSpeechMs: 300, transcriptWaitMs: 2000 }
echo: { enabled: true }
`,
  );
  relay = await startTestRelay({ pipelinesDir: dir });
});

afterAll(async () => {
  await relay.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A microphone on a 20 ms clock: the caller's own speech when asked, plus every reply
 * frame the client received, played back at -10 dB in order (the speakerphone echo).
 */
class EchoMic {
  readonly #c: RelayClient;
  readonly #echo: Buffer[] = [];
  #speech: Buffer[] = [];
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  #t0 = Date.now();

  constructor(c: RelayClient) {
    this.#c = c;
    c.onAudio = (a) => this.#echo.push(a.payload);
    this.#tick();
  }

  say(pcm: Buffer): void {
    for (let o = 0; o < pcm.length; o += FRAME_BYTES) {
      const f = Buffer.alloc(FRAME_BYTES);
      pcm.copy(f, 0, o, Math.min(pcm.length, o + FRAME_BYTES));
      this.#speech.push(f);
    }
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#speech = [];
  }

  #tick(): void {
    while (this.#t0 + (this.#seq + 1) * 20 <= Date.now()) {
      const user = this.#speech.shift();
      const echo = this.#echo.shift();
      const out = Buffer.alloc(FRAME_BYTES);
      for (let i = 0; i < FRAME_BYTES; i += 2) {
        const e = echo === undefined || echo.length < i + 2 ? 0 : echo.readInt16LE(i) * GAIN;
        const u = user === undefined ? 0 : user.readInt16LE(i);
        out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(e + u))), i);
      }
      if (this.#c.ws.readyState !== this.#c.ws.OPEN) {
        return;
      }
      this.#c.sendFrame(out, this.#seq, this.#seq * 20);
      this.#seq++;
    }
    const due = this.#t0 + (this.#seq + 1) * 20;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, due - Date.now()));
  }
}

async function echoDropped(kind: 'partial' | 'final'): Promise<number> {
  const m = await relay.metrics.echoDropped.get();
  return m.values.find((v) => v.labels['kind'] === kind)?.value ?? 0;
}

/** Wait for a condition, checking every 20 ms, bounded. */
async function until(cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise<void>((r) => setTimeout(r, 20));
  }
}

describe('echo filtering', () => {
  it('the agent heard back at -10 dB starts no turn and no barge-in; the caller still interrupts', async () => {
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'echo',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    const mic = new EchoMic(c);
    mic.say(Buffer.concat([silence(200, 16000), synthVoice(700, 16000, 1)]));
    const started = await c.log.waitFor('response.started');
    // The echo of the first sentence: the STT hears the agent's words, and drops them.
    await until(async () => (await echoDropped('final')) >= 1);
    expect(await echoDropped('partial')).toBeGreaterThanOrEqual(1);
    expect(c.log.of('response.interrupted')).toHaveLength(0);
    expect(c.log.of('transcript.final').map((e) => e.text)).toEqual(['tell me a story']);
    // The caller talks over the echo of the second sentence: that interrupts.
    mic.say(synthVoice(1200, 16000, 3));
    const interrupted = await c.log.waitFor('response.interrupted', undefined, 20_000);
    expect(interrupted.turnId).toBe(started.turnId);
    const final = await c.log.waitFor(
      'transcript.final',
      (e) => e.text === 'wait stop please',
      20_000,
    );
    expect(final.turnId).not.toBe(started.turnId);
    mic.stop();
    await c.close();
  });
});
