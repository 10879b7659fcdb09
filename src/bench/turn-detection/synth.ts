import { spawn } from 'node:child_process';

export const SYNTH_RATE_HZ = 16000;

/**
 * One piece of speech from espeak-ng, resampled by sox to 16 kHz PCM16 mono, leading and
 * trailing silence trimmed (the script's pauses are added by the caller). In memory only.
 */
export function synthesize(
  text: string,
  voice: string,
  wpm: number,
  pitch: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const espeak = spawn(
      'espeak-ng',
      ['-v', voice, '-s', String(wpm), '-p', String(pitch), '--stdout', text],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const sox = spawn(
      'sox',
      [
        // Repeatable: sox seeds its dither from the clock otherwise, and the set would vary.
        '-R',
        '-t',
        'wav',
        '-',
        '-r',
        String(SYNTH_RATE_HZ),
        '-b',
        '16',
        '-c',
        '1',
        '-e',
        'signed-integer',
        '-t',
        'raw',
        '-',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    espeak.stdout.pipe(sox.stdin);
    const chunks: Buffer[] = [];
    let err = '';
    sox.stdout.on('data', (c: Buffer) => chunks.push(c));
    sox.stderr.on('data', (c: Buffer) => (err += c.toString()));
    espeak.stderr.on('data', (c: Buffer) => (err += c.toString()));
    espeak.on('error', reject);
    sox.on('error', reject);
    sox.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`espeak-ng/sox failed (${String(code)}): ${err.trim()}`));
        return;
      }
      resolve(trim(Buffer.concat(chunks)));
    });
  });
}

/** Drops leading and trailing 10 ms windows quieter than −50 dBFS. */
function trim(pcm: Buffer): Buffer {
  const win = (SYNTH_RATE_HZ / 100) * 2;
  const loud = (at: number): boolean => {
    let e = 0;
    let n = 0;
    for (let i = at; i < at + win && i + 1 < pcm.length; i += 2) {
      const v = pcm.readInt16LE(i);
      e += v * v;
      n++;
    }
    return n > 0 && 10 * Math.log10(e / n / 32768 ** 2 + 1e-12) > -50;
  };
  let start = 0;
  while (start < pcm.length && !loud(start)) {
    start += win;
  }
  let end = pcm.length - (pcm.length % win);
  while (end > start && !loud(end - win)) {
    end -= win;
  }
  return pcm.subarray(start, end);
}

/** Runs `fn` over `items` with at most `limit` in flight, results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
