/**
 * Nothing lost on the way in, per carrier: every impairment profile over each carrier's own
 * wire protocol, real sockets end to end (simulated carrier → relay listener → recording STT
 * server over gRPC). Numbered carriers (Twilio, Telnyx, Exotel, Plivo): the STT gets every
 * frame that was not truly lost, strictly in order, byte-identical to what a perfect relay
 * delivers for the whole stream (so any deterministic recogniser gives the in-order run's
 * transcript). Carriers that send bare audio (jambonz, FreeSWITCH) carry no number to undo
 * reorder or duplicates with: there the STT gets exactly the audio as sent, in send order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../../server/relay.js';
import { UPLINK_PROFILES, type ImpairmentProfile } from '../../../testing/impairment.js';
import { startRecordingStt } from '../../../testing/recording-stt.js';
import { telephonyOptions, type CarrierEnv, type SimName } from './test-support/call-scenario.js';
import {
  NUMBERED,
  PIPELINE_HZ,
  runImpaired,
  type ImpairedRun,
} from './test-support/impaired-call.js';
import { clientToken, relayToken, startTelephonyRelay } from './test-support/telephony-relay.js';

const PROFILES: Record<string, ImpairmentProfile> = {
  ...UPLINK_PROFILES,
  oddChunks: { name: 'chunks of 10–200 ms, odd byte counts', oddBytes: true },
};
const CARRIERS: SimName[] = ['twilio', 'telnyx', 'exotel', 'jambonz', 'freeswitch', 'plivo'];

let stt: Awaited<ReturnType<typeof startRecordingStt>>;
let env: CarrierEnv;

beforeAll(async () => {
  stt = await startRecordingStt();
  const token = await relayToken();
  const relay = await startTelephonyRelay({
    pipelines: {
      rec: `name: rec
audio: { sampleRateHz: ${PIPELINE_HZ} }
stages:
  stt: { endpoints: ["${stt.address}"], budgetMs: 5000 }
  llm: { endpoints: [embedded:sim], budgetMs: 2000 }
  tts: { endpoints: [embedded:sim], budgetMs: 2000 }
`,
    },
    telephony: { ...telephonyOptions(token), defaultPipeline: 'rec' },
  });
  env = { relay, token, pathToken: await clientToken() };
});
afterAll(async () => {
  await env.relay.close();
  await stt.close();
});

async function dropped(relay: Relay, reason: string): Promise<number> {
  const m = await relay.metrics.framesDropped.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Media time ranges (ms) of the chunks never sent. */
function lostRanges(r: ImpairedRun): [number, number][] {
  return [...r.lost].map((i) => {
    const c = r.chunks[i];
    return c === undefined ? [0, 0] : [c.startMs, c.startMs + c.ms];
  });
}

/** Adjacent lost chunks as one range. */
function mergeRuns(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last !== undefined && Math.abs(last[1] - a) < 1e-6) {
      last[1] = b;
    } else {
      out.push([a, b]);
    }
  }
  return out;
}

/**
 * Numbered carrier with truly lost chunks: each received frame is matched to the oracle
 * frame of the same audio. Matches strictly increase; every frame clear of a lost chunk is
 * there. Only next to a gap may a frame differ from the whole-stream oracle (the resampler
 * restarts there; at the pipeline rate nothing differs).
 */
function assertLossy(r: ImpairedRun, resampled: boolean): number[] {
  const where = new Map<string, number>();
  r.oracle.forEach((f, i) => where.set(f.toString('base64'), i));
  expect(where.size, 'oracle frames are unique').toBe(r.oracle.length);
  const margin = resampled ? 20 : 0;
  const gaps = lostRanges(r);
  const clear = (i: number): boolean =>
    gaps.every(([a, b]) => i * 20 + 20 <= a - margin || i * 20 >= b + margin);
  const matched: number[] = [];
  let unmatched = 0;
  for (const c of r.got) {
    const i = where.get(c.audio.toString('base64'));
    if (i === undefined) {
      unmatched++;
    } else {
      matched.push(i);
    }
  }
  for (let k = 1; k < matched.length; k++) {
    expect(matched[k], 'strictly in order').toBeGreaterThan(matched[k - 1] ?? -1);
  }
  const want = r.oracle.map((_, i) => i).filter(clear);
  const have = new Set(matched);
  expect(
    want.filter((i) => !have.has(i)),
    'frames clear of the lost chunks that never reached STT',
  ).toEqual([]);
  // The frames inside a lost chunk cannot come; next to one, at most a boundary frame each side.
  expect(matched.every((i) => clear(i) || resampled)).toBe(true);
  expect(unmatched).toBeLessThanOrEqual(resampled ? 2 * gaps.length : 0);
  // Exactly the frames of the lost audio are missing; resampled, each gap adds the frame that
  // carries the resampler's tail of the audio before it (padded): nothing received is dropped.
  const runs = mergeRuns(gaps);
  const inside = r.oracle.filter((_, i) => runs.some(([a, b]) => i * 20 >= a && i * 20 + 20 <= b));
  expect(r.got.length).toBe(r.oracle.length - inside.length + (resampled ? runs.length : 0));
  return matched;
}

/**
 * Capture times: a frame's capture time is its media time plus the stream's offset to the
 * relay clock; the offset is the fastest chunk's (arrival − media end), so it can only fall.
 * A burst (100 ms chunks, the backlog after a stall) never pushes capture times towards
 * arrival times: (capture − media time) never grows.
 */
function assertClock(r: ImpairedRun, mediaIndex: readonly number[]): void {
  const t = r.got.map((c) => c.captureTsMs);
  for (let k = 1; k < t.length; k++) {
    expect(t[k], 'capture time never goes back').toBeGreaterThanOrEqual(t[k - 1] ?? 0);
  }
  let prev = Infinity;
  mediaIndex.forEach((i, k) => {
    const offset = (t[k] ?? 0) - i * 20;
    expect(offset, `offset at frame ${i}`).toBeLessThanOrEqual(prev + 1e-6);
    prev = offset;
  });
}

function check(r: ImpairedRun, name: string, resampled: boolean): void {
  const label = `${r.carrier} / ${name}`;
  const seqs = r.got.map((c) => c.seq);
  expect(seqs, `${label}: seqs contiguous, in order`).toEqual(
    seqs.map((_, k) => (seqs[0] ?? 0) + k),
  );
  expect(r.got.some((c) => c.concealed)).toBe(false);
  expect(r.uplink, label).toEqual({ late: 0, lost: 0, overflow: 0 });
  const exact = !NUMBERED.has(r.carrier) || r.lost.size === 0;
  if (exact) {
    // Every frame, byte-identical to the oracle, nothing added.
    const got = r.got.map((c) => c.audio);
    expect(got.length, label).toBe(r.oracle.length);
    const firstBad = got.findIndex((a, i) => !a.equals(r.oracle[i] ?? Buffer.alloc(0)));
    expect(firstBad, `${label}: first frame that differs`).toBe(-1);
    assertClock(
      r,
      got.map((_, i) => i),
    );
    return;
  }
  const matched = assertLossy(r, resampled);
  const matchedGot = r.got.filter((c) => r.oracle.some((f) => f.equals(c.audio)));
  assertClock({ ...r, got: matchedGot }, matched);
}

describe('nothing lost on the way in, per carrier (real sockets, seeded impairment)', () => {
  it.each(CARRIERS)(
    '%s: every profile reaches STT complete, in order, byte-identical to the oracle',
    async (carrier) => {
      const dupBefore = await dropped(env.relay.relay, 'carrier_duplicate');
      const lateBefore = await dropped(env.relay.relay, 'carrier_late');
      const names = Object.keys(PROFILES);
      const runs = await Promise.all(
        names.map((name, k) =>
          runImpaired({
            env,
            stt,
            carrier,
            profileName: name,
            profile: PROFILES[name] as ImpairmentProfile,
            seed: 1000 + 17 * k + CARRIERS.indexOf(carrier),
          }),
        ),
      );
      const resampled = carrier !== 'telnyx' && carrier !== 'plivo' && carrier !== 'freeswitch';
      runs.forEach((r, k) => check(r, names[k] ?? '', resampled));
      const by = (name: string): ImpairedRun => runs[names.indexOf(name)] as ImpairedRun;
      // The impairments really happened.
      expect(by('duplicates2').duplicates).toBeGreaterThan(0);
      expect(by('loss1').lost.size).toBeGreaterThan(0);
      expect(by('oddChunks').chunks.some((c) => c.wire.length % 2 === 1)).toBe(true);
      // A repeated chunk number is the only duplicate; nothing arrives too late to place.
      const dups = runs.reduce((a, r) => a + r.duplicates, 0);
      const dupAfter = await dropped(env.relay.relay, 'carrier_duplicate');
      expect(dupAfter - dupBefore).toBe(NUMBERED.has(carrier) ? dups : 0);
      expect(await dropped(env.relay.relay, 'carrier_late')).toBe(lateBefore);
      // Chunks arrived before chunk 1, and were put back in order.
      expect(by('reorder100').sent[0]).not.toBe(0);
      if (NUMBERED.has(carrier)) {
        expect(by('reorder100').reordered).toBeGreaterThan(0);
      } else {
        // Without numbers the relay cannot undo it: STT got the audio as sent (checked above).
        const a = Buffer.concat(by('reorder100').got.map((c) => c.audio));
        expect(a.equals(Buffer.concat(by('inOrder').got.map((c) => c.audio)))).toBe(false);
      }
    },
    60_000,
  );
});
