import { beforeAll, describe, expect, it } from 'vitest';
import { silence, synthVoice } from '../pcm.js';
import {
  createVad,
  type VadConfig,
  type VadDecision,
  type VadEvent,
  type VoiceDetector,
} from './index.js';
import { espeakSpeech, frames, whiteNoise, type SpeechClip } from './vad-fixtures.js';

const RATE = 16000;
const T0 = 50_000;

interface Run {
  vad: VoiceDetector;
  events: VadEvent[];
  decisions: VadDecision[];
}

async function make(config: Partial<VadConfig> & Pick<VadConfig, 'engine'>): Promise<Run> {
  const events: VadEvent[] = [];
  const decisions: VadDecision[] = [];
  const vad = await createVad(
    { sampleRateHz: RATE, minSpeechMs: 60, minSilenceMs: 300, ...config },
    { onEvent: (e) => events.push(e), onDecision: (d) => decisions.push(d) },
  );
  return { vad, events, decisions };
}

/** Pushes 20 ms frames at capture time T0 + 20·i, awaiting the detector every frame. */
async function feed(run: Run, pcm: Buffer): Promise<void> {
  let t = T0;
  for (const f of frames(pcm, RATE)) {
    run.vad.push(f, t, 20);
    await run.vad.idle();
    t += 20;
  }
}

const ms = (n: number): Buffer => silence(n, RATE);

describe('createVad', () => {
  let clip: SpeechClip;
  beforeAll(() => {
    clip = espeakSpeech('Hello, this is a test of the voice relay.', RATE);
  });

  it('silero: one speech.started / speech.stopped pair around an espeak sentence', async () => {
    const run = await make({ engine: 'silero' });
    expect(run.vad.engine).toBe('silero');
    expect(run.vad.fallbackReason).toBeUndefined();
    await feed(run, Buffer.concat([ms(1000), clip.pcm, ms(1000)]));
    expect(run.events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
    const start = T0 + 1000 + clip.onsetMs;
    const end = T0 + 1000 + clip.offsetMs;
    expect(run.events[0]!.tsMs).toBeGreaterThanOrEqual(start - 40);
    expect(run.events[0]!.tsMs).toBeLessThanOrEqual(start + 100);
    expect(run.events[1]!.tsMs).toBeGreaterThanOrEqual(end - 100);
    expect(run.events[1]!.tsMs).toBeLessThanOrEqual(end + 150);
    expect(run.vad.speaking).toBe(false);
    expect(run.vad.droppedWindows).toBe(0);
  });

  it('white noise: silero stays quiet, energy calls it speech', async () => {
    const noise = Buffer.concat([ms(500), whiteNoise(2000, RATE, -30), ms(500)]);
    const silero = await make({ engine: 'silero' });
    await feed(silero, noise);
    expect(silero.decisions.length).toBe(93);
    expect(silero.events).toEqual([]);

    const energy = await make({ engine: 'energy', threshold: -40 });
    expect(energy.vad.engine).toBe('energy');
    await feed(energy, noise);
    expect(energy.events).toEqual([
      { type: 'speech.started', tsMs: T0 + 500 },
      { type: 'speech.stopped', tsMs: T0 + 2500 },
    ]);
  });

  it('a 150 ms speech burst is voiced for Silero but filtered by minSpeechMs', async () => {
    const burst = clip.pcm.subarray(32 * (clip.onsetMs + 300), 32 * (clip.onsetMs + 450));
    const audio = Buffer.concat([ms(1000), burst, ms(1000)]);

    const filtered = await make({ engine: 'silero', minSpeechMs: 250 });
    await feed(filtered, audio);
    const voicedMs = filtered.decisions.filter((d) => d.voiced).length * 32;
    expect(voicedMs).toBeGreaterThanOrEqual(96);
    expect(voicedMs).toBeLessThan(250);
    expect(filtered.events).toEqual([]);

    const kept = await make({ engine: 'silero', minSpeechMs: 60 });
    await feed(kept, audio);
    expect(kept.events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
  });

  it('energy: a 150 ms burst is filtered by minSpeechMs, 400 ms is speech', async () => {
    const run = await make({ engine: 'energy', minSpeechMs: 200, minSilenceMs: 200 });
    await feed(
      run,
      Buffer.concat([ms(200), synthVoice(150, RATE), ms(390), synthVoice(400, RATE), ms(400)]),
    );
    expect(run.events).toEqual([
      { type: 'speech.started', tsMs: T0 + 740 },
      { type: 'speech.stopped', tsMs: T0 + 1140 },
    ]);
    expect(run.decisions).toEqual([]);
  });

  it('two detectors share the model session but not their state', async () => {
    const a = await make({ engine: 'silero' });
    const b = await make({ engine: 'silero' });
    const speech = frames(Buffer.concat([ms(500), clip.pcm, ms(800)]), RATE);
    const quiet = frames(
      Buffer.concat([ms(500), whiteNoise(clip.pcm.length / 32, RATE, -35), ms(800)]),
      RATE,
    );
    for (let i = 0; i < speech.length; i++) {
      a.vad.push(speech[i]!, T0 + i * 20, 20);
      b.vad.push(quiet[i]!, T0 + i * 20, 20);
      await Promise.all([a.vad.idle(), b.vad.idle()]);
    }
    expect(a.events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
    expect(b.events).toEqual([]);
    expect(b.decisions.length).toBe(a.decisions.length);
  });

  it('falls back to energy when the model cannot load, and says why', async () => {
    const run = await make({ engine: 'silero', modelPath: '/nonexistent/silero.onnx' });
    expect(run.vad.engine).toBe('energy');
    expect(run.vad.fallbackReason).toMatch(/^Silero unavailable: /);
    await feed(run, Buffer.concat([ms(200), synthVoice(400, RATE), ms(400)]));
    expect(run.events).toEqual([
      { type: 'speech.started', tsMs: T0 + 200 },
      { type: 'speech.stopped', tsMs: T0 + 600 },
    ]);
  });

  it('falls back to energy for an unsupported sample rate or a dBFS threshold', async () => {
    const rate = await createVad(
      { engine: 'silero', sampleRateHz: 16000.5 },
      { onEvent: () => undefined },
    );
    expect(rate.engine).toBe('energy');
    expect(rate.fallbackReason).toMatch(/sample rate/);

    const threshold = await createVad(
      { engine: 'silero', sampleRateHz: RATE, threshold: -40 },
      { onEvent: () => undefined },
    );
    expect(threshold.engine).toBe('energy');
    expect(threshold.fallbackReason).toMatch(/probability/);
  });

  it('close stops events; handler errors go to onError', async () => {
    const errors: unknown[] = [];
    const vad = await createVad(
      { engine: 'silero', sampleRateHz: RATE, minSpeechMs: 60 },
      {
        onEvent: () => {
          throw new Error('handler failed');
        },
        onError: (e) => errors.push(e),
      },
    );
    let t = T0;
    for (const f of frames(Buffer.concat([ms(300), clip.pcm, ms(600)]), RATE)) {
      vad.push(f, t, 20);
      await vad.idle();
      t += 20;
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof Error && e.message === 'handler failed')).toBe(true);
    expect(vad.engine).toBe('silero');
    expect(vad.speaking).toBe(false); // the detector kept going after the handler threw

    const count = errors.length;
    vad.close();
    for (const f of frames(clip.pcm, RATE)) {
      vad.push(f, t, 20);
      t += 20;
    }
    await vad.idle();
    expect(errors.length).toBe(count);
  });
});
