import { beforeAll, describe, expect, it } from 'vitest';
import { EnergyVad, type VadEvent } from './energy-vad.js';
import { SileroVad, sileroSessionCount, type VadDecision } from './silero-vad.js';
import { espeakSpeech, frames, whiteNoise, type SpeechClip } from './vad-fixtures.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const T0 = 10_000;
const LEAD_MS = 1000;

/** Feeds 20 ms frames in real-time order (each push awaited) and collects the decisions. */
async function feed(vad: SileroVad, pcm: Buffer, rate: number, t0 = T0): Promise<VadDecision[]> {
  const out: VadDecision[] = [];
  let t = t0;
  for (const f of frames(pcm, rate)) {
    out.push(...(await vad.push(f, t)));
    t += 20;
  }
  return out;
}

function withSilence(clip: SpeechClip, leadMs: number, tailMs: number): Buffer {
  const perMs = (clip.sampleRateHz / 1000) * 2;
  return Buffer.concat([Buffer.alloc(leadMs * perMs), clip.pcm, Buffer.alloc(tailMs * perMs)]);
}

describe('SileroVad', () => {
  const clips = new Map<number, SpeechClip>();
  beforeAll(() => {
    for (const rate of [8000, 16000, 24000, 48000]) {
      clips.set(rate, espeakSpeech(SENTENCE, rate));
    }
  });

  it.each([16000, 8000, 24000, 48000])(
    'finds espeak speech between 1 s silences at %i Hz within tolerance of its envelope',
    async (rate) => {
      const clip = clips.get(rate)!;
      const vad = await SileroVad.create({ sampleRateHz: rate });
      expect(vad.windowMs).toBe(32);
      expect(vad.windowSamples).toBe(rate === 8000 ? 256 : 512);
      const decisions = await feed(vad, withSilence(clip, LEAD_MS, 1000), rate);

      // One decision per 32 ms of (model-rate) audio, consecutive capture times.
      const delayMs = decisions[0]!.tsMs - T0;
      expect(Math.abs(delayMs)).toBeLessThan(2); // resampler group delay only
      decisions.forEach((d, i) => {
        expect(d.tsMs).toBeCloseTo(T0 + delayMs + i * 32, 6);
        expect(d.durationMs).toBe(32);
      });

      const start = T0 + LEAD_MS + clip.onsetMs;
      const end = T0 + LEAD_MS + clip.offsetMs;
      const voiced = decisions.filter((d) => d.voiced);
      const first = voiced[0]!;
      const last = voiced.at(-1)!;
      expect(first.tsMs).toBeGreaterThanOrEqual(start - 40);
      expect(first.tsMs).toBeLessThanOrEqual(start + 100);
      expect(last.tsMs + last.durationMs).toBeGreaterThanOrEqual(end - 100);
      expect(last.tsMs + last.durationMs).toBeLessThanOrEqual(end + 150);
      // Silence is confidently silence.
      const outside = decisions.filter((d) => d.tsMs + 32 < start - 100 || d.tsMs > end + 300);
      expect(outside.length).toBeGreaterThan(40);
      expect(Math.max(...outside.map((d) => d.probability))).toBeLessThan(0.1);
    },
  );

  it('does not call white noise speech, while the energy VAD does', async () => {
    const noise = whiteNoise(2000, 16000, -30);
    const vad = await SileroVad.create({ sampleRateHz: 16000 });
    const decisions = await feed(vad, noise, 16000);
    expect(decisions.length).toBe(62);
    expect(decisions.some((d) => d.voiced)).toBe(false);
    expect(Math.max(...decisions.map((d) => d.probability))).toBeLessThan(0.2);

    const energy = new EnergyVad({ thresholdDbfs: -40 });
    const events: VadEvent[] = [];
    let t = T0;
    for (const f of frames(noise, 16000)) {
      const ev = energy.push(f, t, 20);
      if (ev) {
        events.push(ev);
      }
      t += 20;
    }
    expect(events).toEqual([{ type: 'speech.started', tsMs: T0 }]);
  });

  it('applies hysteresis: stays voiced until the probability drops below negThreshold', async () => {
    const clip = clips.get(16000)!;
    const vad = await SileroVad.create({ sampleRateHz: 16000, threshold: 0.5, negThreshold: 0.35 });
    expect(vad.threshold).toBe(0.5);
    expect(vad.negThreshold).toBe(0.35);
    const decisions = await feed(vad, withSilence(clip, LEAD_MS, 500), 16000);
    let voiced = false;
    for (const d of decisions) {
      voiced = voiced ? d.probability >= 0.35 : d.probability >= 0.5;
      expect(d.voiced).toBe(voiced);
    }
    expect(decisions.some((d) => d.voiced && d.probability < 0.5)).toBe(true);
  });

  it('shares one session across instances while each keeps its own recurrent state', async () => {
    const clip = clips.get(16000)!;
    const speech = withSilence(clip, 300, 300);
    const solo = await feed(await SileroVad.create({ sampleRateHz: 16000 }), speech, 16000);

    const before = sileroSessionCount();
    const a = await SileroVad.create({ sampleRateHz: 16000 });
    const b = await SileroVad.create({ sampleRateHz: 16000 });
    expect(a.sessionId).toBe(b.sessionId);
    expect(sileroSessionCount()).toBe(before);

    const noise = whiteNoise(speech.length / 32, 16000, -30);
    const fa = frames(speech, 16000);
    const fb = frames(noise, 16000);
    const da: VadDecision[] = [];
    const db: VadDecision[] = [];
    for (let i = 0; i < fa.length; i++) {
      // Interleave: both instances' inferences queue on the same session.
      const [ra, rb] = await Promise.all([
        a.push(fa[i]!, T0 + i * 20),
        b.push(fb[i]!, T0 + i * 20),
      ]);
      da.push(...ra);
      db.push(...rb);
    }
    expect(da.map((d) => d.probability)).toEqual(solo.map((d) => d.probability));
    expect(db.some((d) => d.voiced)).toBe(false);
  });

  it('loads a separate shared session for the 8 kHz model', async () => {
    const a = await SileroVad.create({ sampleRateHz: 8000 });
    const b = await SileroVad.create({ sampleRateHz: 16000 });
    const c = await SileroVad.create({ sampleRateHz: 48000 });
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(b.sessionId).toBe(c.sessionId);
    expect(a.modelRateHz).toBe(8000);
    expect(c.modelRateHz).toBe(16000);
  });

  it('drops the oldest windows when inference falls more than maxQueuedWindows behind', async () => {
    const clip = clips.get(16000)!;
    const vad = await SileroVad.create({ sampleRateHz: 16000, maxQueuedWindows: 4 });
    const fs = frames(withSilence(clip, 0, 0).subarray(0, 50 * 640), 16000);
    // 1 s pushed without yielding: 31 complete windows arrive before any inference runs.
    const pending = fs.map((f, i) => vad.push(f, T0 + i * 20));
    expect(vad.queuedWindows).toBe(4);
    const decisions = (await Promise.all(pending)).flat();
    expect(decisions.length).toBe(4);
    expect(vad.droppedWindows).toBe(27);
    expect(vad.processedWindows).toBe(4);
    // The newest windows were kept, with their own capture times.
    expect(decisions.map((d) => d.tsMs)).toEqual([27, 28, 29, 30].map((w) => T0 + w * 32));
  });

  it('reset starts a new stream; close stops processing', async () => {
    const clip = clips.get(16000)!;
    const speech = withSilence(clip, 200, 200);
    const vad = await SileroVad.create({ sampleRateHz: 16000 });
    const first = await feed(vad, speech, 16000);
    await vad.push(Buffer.alloc(300), 0); // a partial window that reset must discard
    vad.reset();
    expect(vad.voiced).toBe(false);
    const second = await feed(vad, speech, 16000);
    expect(second).toEqual(first);

    vad.close();
    expect(await vad.push(Buffer.alloc(2048), 0)).toEqual([]);
  });

  it('rejects bad options', async () => {
    await expect(SileroVad.create({ sampleRateHz: 16000, threshold: -40 })).rejects.toThrow(
      /probability/,
    );
    await expect(SileroVad.create({ sampleRateHz: 0 })).rejects.toThrow(/sample rate/);
    await expect(
      SileroVad.create({ sampleRateHz: 16000, modelPath: '/nonexistent/model.onnx' }),
    ).rejects.toThrow();
  });
});
