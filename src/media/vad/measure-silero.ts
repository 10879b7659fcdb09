/**
 * Per-window CPU cost of SileroVad: `npx tsx src/media/vad/measure-silero.ts`.
 * Pushes one 512-sample window per call (espeak speech, silence and noise) and times each
 * awaited push, which includes onnxruntime-node's setImmediate hop. Not a test: prints only.
 */
import { performance } from 'node:perf_hooks';
import { SileroVad } from './silero-vad.js';
import { espeakSpeech, whiteNoise } from './vad-fixtures.js';

const RATE = 16000;
const WINDOW_BYTES = 512 * 2;

async function main(): Promise<void> {
  const speech = espeakSpeech('The quick brown fox jumps over the lazy dog.', RATE).pcm;
  const audio = Buffer.concat([Buffer.alloc(RATE * 2), speech, whiteNoise(2000, RATE, -30)]);
  const vad = await SileroVad.create({ sampleRateHz: RATE });
  const times: number[] = [];
  let cpuStart = process.cpuUsage();
  for (let pass = 0; pass < 6; pass++) {
    if (pass === 1) {
      cpuStart = process.cpuUsage(); // pass 0 is warm-up
    }
    vad.reset();
    for (let o = 0; o + WINDOW_BYTES <= audio.length; o += WINDOW_BYTES) {
      const t = performance.now();
      await vad.push(audio.subarray(o, o + WINDOW_BYTES), (o / 2 / RATE) * 1000);
      if (pass > 0) {
        times.push((performance.now() - t) * 1000);
      }
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  times.sort((a, b) => a - b);
  const q = (p: number): number =>
    times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0;
  const mean = times.reduce((s, x) => s + x, 0) / times.length;
  const cpuPerWindow = (cpu.user + cpu.system) / times.length;
  process.stdout.write(
    `${times.length} windows of 32 ms: CPU ${cpuPerWindow.toFixed(0)} µs/window; wall per awaited ` +
      `push mean ${mean.toFixed(0)} µs, p50 ${q(0.5).toFixed(0)} µs, p99 ${q(0.99).toFixed(0)} µs, ` +
      `max ${q(1).toFixed(0)} µs\n`,
  );
}

await main();
