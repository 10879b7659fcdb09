/**
 * Provider pipeline bench: Deepgram STT + OpenAI-compatible LLM + ElevenLabs TTS,
 * the bridges embedded in this process as gRPC engines, the protocol-faithful
 * fakes as the providers, the relay in front over the WebSocket path.
 *
 * The fakes run with LATENCY_PROFILES: representative first-result delays and
 * per-chunk pacing chosen by us, NOT recorded from a real provider account.
 * The overhead reported is what the relay and the bridges add on top of the
 * fakes' own first-response times.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeepgramServer } from '../engines/deepgram/server.js';
import { startDeepgramFake } from '../engines/deepgram/test-support/deepgram-fake.js';
import { startElevenLabsServer } from '../engines/elevenlabs/server.js';
import { startElevenLabsFake } from '../engines/elevenlabs/test-support/elevenlabs-fake.js';
import { helloStream, startFixtureServer } from '../engines/openai/fixtures.js';
import { startOpenAiServer } from '../engines/openai/server.js';
import { tokens } from '../engines/speech-bridge/test-support/relay-session.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import { runCalls } from './first-audio.js';
import { summarize, type Summary } from './stats.js';

/** Representative latency profiles (chosen by us, not recorded from a real account). */
export const LATENCY_PROFILES = {
  /** Every Deepgram result held this long (the final answering the endpoint included). */
  deepgram: { resultDelayMs: 150, interimEveryMs: 200 },
  /** LLM: first token after ttftMs, then one token every tokenMs. */
  llm: { ttftMs: 300, tokenMs: 30 },
  /** ElevenLabs: first audio chunk after firstChunkMs, then one 200 ms chunk every chunkIntervalMs. */
  elevenlabs: { firstChunkMs: 250, chunkIntervalMs: 40, msPerChar: 60 },
};
const SILENCE_MS = 300;
const TRANSCRIPT = 'what time is it';
// A short first sentence: the TTS bridge flushes at sentence ends, so the first audio needs only it.
const REPLY = 'Sure. It is three.';
const KEYS = {
  VR_BENCH_DG_KEY: 'dg-bench-key-0123456789abcdef',
  VR_BENCH_XI_KEY: 'xi-bench-key-0123456789abcdef',
  VR_BENCH_OAI_KEY: 'sk-bench-key-0123456789abcdef',
};

export interface ProvidersResult {
  sessions: number;
  turns: number;
  failedTurns: number;
  profiles: typeof LATENCY_PROFILES;
  /** Deepgram result delay + LLM first token + ElevenLabs first chunk. */
  fakeSumMs: number;
  /** Endpoint-deciding frame sent → first reply frame received, minus fakeSumMs. */
  overheadMs: Summary;
  /** Client: speech end → first reply frame (raw). */
  firstAudioMs: Summary;
  /** The relay's turn.metrics voiceToVoiceMs (raw). */
  voiceToVoiceMs: Summary;
  /** The relay's turn.metrics stage times (sttFinalMs, llmTtftMs, ttsTtfaMs), p50 each. */
  stageP50Ms: Record<string, number>;
}

const STAGE_METRICS = ['sttFinalMs', 'llmTtftMs', 'ttsTtfaMs'];

function pipelineYaml(dg: string, llm: string, xi: string): string {
  return `name: providers
stages:
  stt:
    endpoints: ['${dg}']
    budgetMs: 3000
    endpointing: { silenceMs: ${SILENCE_MS} }
    options: { deepgram.apiKeyEnv: VR_BENCH_DG_KEY, deepgram.model: nova-3 }
  llm:
    endpoints: ['${llm}']
    budgetMs: 3000
    model: gpt-4o-mini
  tts:
    endpoints: ['${xi}']
    budgetMs: 3000
    voice: JBFqnCBsd6RMkjVDRZzb
    options: { elevenlabs.apiKeyEnv: VR_BENCH_XI_KEY }
`;
}

export async function benchProviders(
  o: { sessions: number; turns: number },
  log: (line: string) => void,
): Promise<ProvidersResult> {
  const p = LATENCY_PROFILES;
  Object.assign(process.env, KEYS);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const dgFake = await startDeepgramFake({
      key: KEYS.VR_BENCH_DG_KEY,
      interimEveryMs: p.deepgram.interimEveryMs,
      transcripts: Array.from({ length: o.turns }, () => TRANSCRIPT),
    });
    cleanups.push(() => dgFake.close());
    const xiFake = await startElevenLabsFake({
      key: KEYS.VR_BENCH_XI_KEY,
      msPerChar: p.elevenlabs.msPerChar,
      chunkIntervalMs: p.elevenlabs.chunkIntervalMs,
    });
    cleanups.push(() => xiFake.close());
    // One profile per connection: enough for a connection per turn and then some.
    for (let i = 0; i < o.sessions * (o.turns + 1) * 4; i++) {
      dgFake.faults.push({ kind: 'slow', delayMs: p.deepgram.resultDelayMs });
      // The ElevenLabs fake waits chunkIntervalMs before every chunk; 'slow' replaces the first wait.
      xiFake.faults.push({ kind: 'slow', delayMs: p.elevenlabs.firstChunkMs });
    }
    const llmFake = await startFixtureServer();
    cleanups.push(() => llmFake.close());
    llmFake.handler = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      let wait = p.llm.ttftMs;
      for (const e of helloStream(tokens(REPLY))) {
        await new Promise((r) => setTimeout(r, wait));
        wait = p.llm.tokenMs;
        if (res.destroyed) {
          return;
        }
        res.write(e);
      }
      res.end();
    };
    const dg = await startDeepgramServer({ baseUrl: dgFake.wsUrl });
    cleanups.push(() => dg.close());
    const xi = await startElevenLabsServer({ baseUrl: xiFake.wsUrl });
    cleanups.push(() => xi.close());
    const llm = await startOpenAiServer({
      baseUrl: llmFake.baseUrl,
      apiKeyEnv: 'VR_BENCH_OAI_KEY',
    });
    cleanups.push(() => llm.close());
    const dir = await mkdtemp(join(tmpdir(), 'vr-bench-providers-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'providers.yaml'), pipelineYaml(dg.address, llm.address, xi.address));
    const relay = await startTestRelay({ pipelinesDir: dir });
    cleanups.push(() => relay.close());

    const target = {
      url: `${wsUrl(relay)}/v1/sessions?pipeline=providers`,
      headers: { authorization: `Bearer ${await testToken()}` },
    };
    // Generous turn timeout: real providers' turns take seconds, and a loaded box stretches them.
    const calls = await runCalls(target, o.sessions, o.turns, 15_000);
    const fakeSumMs = p.deepgram.resultDelayMs + p.llm.ttftMs + p.elevenlabs.firstChunkMs;
    const overhead: number[] = [];
    const first: number[] = [];
    const v2v: number[] = [];
    const stages = new Map(STAGE_METRICS.map((k) => [k, [] as number[]]));
    let failed = 0;
    for (const call of calls) {
      const res = call.results();
      failed += Math.max(0, o.turns - res.turns.length);
      for (const t of res.turns) {
        const deciding =
          t.speechEndSeq === null ? undefined : call.frameSentAt(t.speechEndSeq + SILENCE_MS / 20);
        if (t.firstAudioMs === null || t.speechEndMs === null || deciding === undefined) {
          failed++;
          continue;
        }
        overhead.push(t.speechEndMs + t.firstAudioMs - deciding - fakeSumMs);
        first.push(t.firstAudioMs);
        if (t.voiceToVoiceMs !== null) {
          v2v.push(t.voiceToVoiceMs);
        }
        for (const [k, xs] of stages) {
          const v = t.metrics?.[k];
          if (typeof v === 'number') {
            xs.push(v);
          }
        }
      }
    }
    const result: ProvidersResult = {
      sessions: o.sessions,
      turns: overhead.length,
      failedTurns: failed,
      profiles: p,
      fakeSumMs,
      overheadMs: summarize(overhead),
      firstAudioMs: summarize(first),
      voiceToVoiceMs: summarize(v2v),
      stageP50Ms: Object.fromEntries([...stages].map(([k, xs]) => [k, summarize(xs).p50])),
    };
    log(
      `  providers: ${result.turns} turns (${failed} failed), overhead p50 ${result.overheadMs.p50.toFixed(1)} ms, p99 ${result.overheadMs.p99.toFixed(1)} ms`,
    );
    return result;
  } finally {
    for (const c of cleanups.reverse()) {
      await c().catch(() => undefined);
    }
    for (const k of Object.keys(KEYS)) {
      delete process.env[k];
    }
  }
}
