import WebSocket from 'ws';
import { createCall, speechPcm, type Call } from '../../loadtest/lib/protocol.js';
import { nowMs } from '../core/clock.js';
import { DIRECT, RELAY_ADAPTIVE, RELAY_OFF } from './frame-latency.js';
import type { Target } from './load-gen.js';
import { TURN_LATENCY, type BenchEnv } from './setup.js';
import { spread, summarize, type Spread, type Summary } from './stats.js';

export interface FirstAudioArm {
  name: string;
  target(env: BenchEnv): Target;
}

export const FIRST_AUDIO_ARMS: FirstAudioArm[] = [
  { name: DIRECT, target: (env) => env.directTarget(undefined, '/turns') },
  { name: RELAY_OFF, target: (env) => env.relayTarget('turns-off') },
  { name: RELAY_ADAPTIVE, target: (env) => env.relayTarget('turns-adaptive') },
];

export interface FirstAudioArmResult {
  arm: string;
  turns: number;
  failedTurns: number;
  /** Configured stage latencies after the endpoint-deciding frame: final + ttft + first audio. */
  stageSumMs: number;
  /** Client: endpoint-deciding frame sent → first reply frame received, minus stageSumMs. */
  overheadMs: Summary;
  /** The same per round (p50 and p99), median (min–max). */
  overheadP50Ms: Spread;
  overheadP99Ms: Spread;
  /** Relay's own turn.metrics voiceToVoiceMs minus (endpoint silence + stageSumMs). */
  relayOverheadMs: Summary;
  /** Speech end → first reply frame at the client (raw). */
  firstAudioMs: Summary;
  /** turn.metrics llmTtftMs − configured ttft, and ttsTtfaMs − configured first audio. */
  llmExcessMs: Summary;
  ttsExcessMs: Summary;
  /**
   * Overhead over the stages' own measured first-response times (turn.metrics):
   * voice-to-voice − max(endpoint, STT final) − LLM first token − TTS first audio, i.e.
   * the relay's own waits between the stages (final → LLM request, first token → TTS,
   * first audio → first frame written). Relay arms only.
   */
  stageGapMs: Summary;
  stageGapP99Ms: Spread;
  /** This arm's overhead minus the direct pipe's, per round (p50 and p99). */
  vsDirectP50Ms: Spread;
  vsDirectP99Ms: Spread;
}

const SPEECH_MS = 600;

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** Run `sessions` calls of `turns` turns at once over protocol v1; resolves with their calls. */
export async function runCalls(
  target: Target,
  sessions: number,
  turns: number,
  turnTimeoutMs = 5_000,
): Promise<Call[]> {
  const speech = speechPcm(16_000, SPEECH_MS);
  const calls: Call[] = [];
  const sockets: WebSocket[] = [];
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      const call = createCall({ speech, turns, leadMs: 200, gapMs: 300, turnTimeoutMs });
      const ws = new WebSocket(target.url, { headers: target.headers, perMessageDeflate: false });
      ws.binaryType = 'arraybuffer';
      ws.on('message', (data: ArrayBuffer, isBinary: boolean) => {
        if (isBinary) {
          call.onBinary(data, nowMs());
        } else {
          call.onText(Buffer.from(data).toString('utf8'), nowMs());
        }
      });
      ws.on('close', (code: number) => call.onClose(code));
      ws.on('error', () => call.onClose());
      await new Promise<void>((resolve) => {
        ws.once('open', () => resolve());
        ws.once('close', () => resolve());
      });
      calls.push(call);
      sockets.push(ws);
    }),
  );
  await new Promise<void>((resolve) => {
    const deadline = nowMs() + 10_000 + turns * (SPEECH_MS + turnTimeoutMs);
    const timer = setInterval(() => {
      const now = nowMs();
      let open = 0;
      sockets.forEach((ws, i) => {
        const call = calls[i]!;
        if (ws.readyState !== WebSocket.OPEN) {
          return;
        }
        for (const f of call.poll(now)) {
          ws.send(f);
        }
        if (call.done || now > deadline) {
          ws.close(1000);
        } else {
          open++;
        }
      });
      if (open === 0) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) {
            resolve();
          } else {
            ws.once('close', () => resolve());
            setTimeout(() => {
              ws.terminate();
              resolve();
            }, 2_000);
          }
        }),
    ),
  );
  return calls;
}

/**
 * First-audio overhead: speech turns against the sim stages with fixed latencies
 * (endpoint silence 300 ms, final +50 ms, LLM first token +100 ms, TTS first audio
 * +50 ms). The overhead of a turn is the time from the frame that completes the
 * endpoint silence leaving the client to the first reply frame arriving, minus the
 * stage latencies after it; the relay's own view (turn.metrics) is reported beside.
 * The direct pipe (same stages, hops and pacing, no relay logic) is the baseline that
 * separates the sim engines' own timer and hop costs from the relay's. Rounds
 * interleave the arms.
 */
export async function benchFirstAudio(
  env: BenchEnv,
  o: { sessions: number; turns: number; rounds: number },
  log: (line: string) => void,
): Promise<FirstAudioArmResult[]> {
  const stageSumMs = TURN_LATENCY.finalDelayMs + TURN_LATENCY.ttftMs + TURN_LATENCY.firstAudioMs;
  const decidingFrames = TURN_LATENCY.silenceMs / 20;
  const acc = new Map(
    FIRST_AUDIO_ARMS.map((a) => [
      a.name,
      {
        overhead: [] as number[],
        relay: [] as number[],
        first: [] as number[],
        llm: [] as number[],
        tts: [] as number[],
        gap: [] as number[],
        gapP99: [] as number[],
        p50: [] as number[],
        p99: [] as number[],
        failed: 0,
      },
    ]),
  );
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 === 0 ? FIRST_AUDIO_ARMS : [...FIRST_AUDIO_ARMS].reverse();
    for (const arm of order) {
      const a = acc.get(arm.name)!;
      const calls = await runCalls(arm.target(env), o.sessions, o.turns);
      const roundOverheads: number[] = [];
      const roundGaps: number[] = [];
      for (const call of calls) {
        const res = call.results();
        a.failed += Math.max(0, o.turns - res.turns.length);
        for (const t of res.turns) {
          const deciding =
            t.speechEndSeq === null ? undefined : call.frameSentAt(t.speechEndSeq + decidingFrames);
          if (t.firstAudioMs === null || t.speechEndMs === null || deciding === undefined) {
            a.failed++;
            continue;
          }
          const arrival = t.speechEndMs + t.firstAudioMs;
          const overhead = arrival - deciding - stageSumMs;
          roundOverheads.push(overhead);
          a.overhead.push(overhead);
          a.first.push(t.firstAudioMs);
          if (t.voiceToVoiceMs !== null) {
            a.relay.push(t.voiceToVoiceMs - TURN_LATENCY.silenceMs - stageSumMs);
          }
          const m = t.metrics ?? {};
          if (typeof m['llmTtftMs'] === 'number' && typeof m['ttsTtfaMs'] === 'number') {
            a.llm.push(m['llmTtftMs'] - TURN_LATENCY.ttftMs);
            a.tts.push(m['ttsTtfaMs'] - TURN_LATENCY.firstAudioMs);
            const heard = Math.max(num(m['endpointMs']), num(m['sttFinalMs']));
            if (t.voiceToVoiceMs !== null && Number.isFinite(heard)) {
              roundGaps.push(t.voiceToVoiceMs - heard - m['llmTtftMs'] - m['ttsTtfaMs']);
            }
          }
        }
      }
      const s = summarize(roundOverheads);
      a.p50.push(s.p50);
      a.p99.push(s.p99);
      a.gap.push(...roundGaps);
      const g = summarize(roundGaps);
      if (g.n > 0) {
        a.gapP99.push(g.p99);
      }
      log(
        `  first audio, round ${r + 1}/${o.rounds}, ${arm.name}: ${s.n} turns, overhead p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms` +
          (g.n > 0
            ? `; over the measured stage times p50 ${g.p50.toFixed(2)} ms, p99 ${g.p99.toFixed(2)} ms`
            : ''),
      );
    }
  }
  const base = acc.get(DIRECT)!;
  const vs = (xs: number[], ys: number[]): Spread => spread(xs.map((x, i) => x - (ys[i] ?? NaN)));
  return FIRST_AUDIO_ARMS.map((arm) => {
    const a = acc.get(arm.name)!;
    return {
      vsDirectP50Ms: vs(a.p50, base.p50),
      vsDirectP99Ms: vs(a.p99, base.p99),
      arm: arm.name,
      turns: a.overhead.length,
      failedTurns: a.failed,
      stageSumMs,
      overheadMs: summarize(a.overhead),
      overheadP50Ms: spread(a.p50),
      overheadP99Ms: spread(a.p99),
      relayOverheadMs: summarize(a.relay),
      firstAudioMs: summarize(a.first),
      llmExcessMs: summarize(a.llm),
      ttsExcessMs: summarize(a.tts),
      stageGapMs: summarize(a.gap),
      stageGapP99Ms: spread(a.gapP99),
    };
  });
}
