import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { mulberry32 } from '../media/jitter/traces.js';
import { synthVoice } from '../media/pcm.js';
import {
  UPLINK_PROFILES,
  impair,
  playSchedule,
  type ImpairmentProfile,
} from '../testing/impairment.js';
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
  // The same with gap waits far above any scheduling hiccup of a loaded machine: a swapped
  // or duplicated frame is never given up on, so "late" measures the buffer, not the box.
  await writeFile(
    join(dir, 'rec-patient.yaml'),
    `name: rec-patient
stages:
  stt: { endpoints: ["${stt.address}"], budgetMs: 5000 }
  llm: { endpoints: [embedded:sim], budgetMs: 2000 }
  tts: { endpoints: [embedded:sim], budgetMs: 2000 }
uplink: { startWaitMs: 1000, minWaitMs: 1000, maxWaitMs: 2000 }
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
      pipeline: 'rec-patient',
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
    await stt.waitForChunks(expected, 60_000);
    const seqs = stt.chunks.map((x) => x.seq);
    // Every frame that was sent reaches STT once, strictly in order; nothing is made up.
    expect(seqs).toEqual(order.slice().sort((a, b) => a - b));
    expect(stt.chunks.some((x) => x.concealed)).toBe(false);
    const session = relay.sessions!.list()[0]!;
    const j = session.info().jitter;
    expect(j.duplicates).toBeGreaterThan(0);
    expect(j.late).toBe(0);
    await c.close();
  }, 90_000);
});

/** Frames of the impaired part, then an in-order tail that lets every gap wait run out. */
const FRAMES = 200;
const TAIL = 40;
const SOURCE = synthVoice((FRAMES + TAIL) * 20, 16000, 3);
const frame = (seq: number): Buffer => SOURCE.subarray(seq * 640, (seq + 1) * 640);

async function run(
  profile: ImpairmentProfile,
  seed: number,
): Promise<{
  seqs: number[];
  audio: Buffer;
  lost: ReadonlySet<number>;
}> {
  const c = await RelayClient.connect({
    url: wsUrl(relay),
    pipeline: 'rec',
    token: await testToken(),
  });
  const ready = await c.log.waitFor('session.ready');
  const schedule = impair(FRAMES, 20, profile, seed);
  await playSchedule(schedule, (seq) => c.sendFrame(frame(seq), seq, seq * 20));
  const tail = impair(TAIL, 20, UPLINK_PROFILES.inOrder, 0);
  await playSchedule(tail, (i) => c.sendFrame(frame(FRAMES + i), FRAMES + i, (FRAMES + i) * 20));
  const mine = (): typeof stt.chunks => stt.chunks.filter((x) => x.requestId === ready.sessionId);
  // Everything sent reaches STT: wait for the last tail frame.
  const expected = FRAMES - schedule.lost.size + TAIL;
  while (mine().length < expected) {
    await stt.waitForChunks(stt.chunks.length + 1, 20_000);
  }
  await c.close();
  const got = mine().filter((x) => x.seq < FRAMES);
  return {
    seqs: got.map((x) => x.seq),
    audio: Buffer.concat(got.map((x) => x.audio)),
    lost: schedule.lost,
  };
}

describe('nothing lost on the way in (protocol v1, real sockets)', () => {
  it('every impairment profile: STT gets every frame not truly lost, strictly in order, the same audio as in order', async () => {
    const profiles = Object.entries(UPLINK_PROFILES);
    const results = await Promise.all(profiles.map(([, p], i) => run(p, 101 + i)));
    const reference = results[0]!;
    expect(reference.seqs).toEqual(Array.from({ length: FRAMES }, (_, i) => i));
    profiles.forEach(([name], i) => {
      const r = results[i]!;
      const want = reference.seqs.filter((s) => !r.lost.has(s));
      expect(r.seqs, name).toEqual(want);
      // The STT input is byte-identical to the in-order run's (minus truly lost frames),
      // so any deterministic recogniser returns the same transcript.
      const wantAudio = Buffer.concat(want.map((s) => frame(s)));
      expect(r.audio.equals(wantAudio), name).toBe(true);
    });
    expect(results.some((r) => r.lost.size > 0)).toBe(true);
  }, 60_000);
});
