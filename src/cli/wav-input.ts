import { scriptedAudio } from '../media/speech-script.js';
import { readFile } from 'node:fs/promises';
import { Resampler } from '../media/resample/index.js';
import { decodeWav, toMono } from '../media/wav.js';

/** Read a PCM16 WAV as mono at `rateHz`, resampling when its rate differs. */
export async function readWavAt(path: string, rateHz: number): Promise<Buffer> {
  let wav;
  try {
    wav = toMono(decodeWav(await readFile(path)));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  if (wav.sampleRateHz === rateHz) {
    return wav.data;
  }
  const r = new Resampler(wav.sampleRateHz, rateHz);
  return Buffer.concat([r.process(wav.data), r.flush()]);
}

/** The CLI's input: the WAV at the pipeline's rate, or two generated demo utterances. */
export async function inputPcm(wav: string | undefined, rate: number): Promise<Buffer> {
  if (wav === undefined) {
    return scriptedAudio(
      [{ silenceMs: 300 }, { speechMs: 900 }, { silenceMs: 4000 }, { speechMs: 700 }],
      rate,
    ).pcm;
  }
  return readWavAt(wav, rate);
}
