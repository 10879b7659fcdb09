/**
 * One espeak-ng process synthesising one phrase: text on stdin, a streaming
 * WAV (22050 Hz mono s16, 44-byte header) on stdout, resampled in-process to
 * the requested rate and handed on as it arrives. The process stops reading
 * output while the consumer is backpressured (pause/resume) and is killed with
 * SIGKILL on kill(); Node reaps it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Resampler } from '../../media/resample/index.js';
import { killHard, TailBuffer } from '../shared/processes.js';

export interface EspeakVoiceArgs {
  /** espeak-ng binary (default on PATH). */
  binary: string;
  voice: string;
  /** -s: speed in words per minute. */
  wordsPerMinute: number;
  /** -p: pitch 0..99. */
  pitch?: number;
  /** -a: amplitude 0..200. */
  amplitude?: number;
  /** -g: extra gap between words, in units of 10 ms. */
  wordGap?: number;
}

export type PhraseResult =
  | { ok: true; samples: number }
  | { ok: false; killed: boolean; message: string; voiceError: boolean };

const WAV_HEADER_BYTES = 44;

export function espeakArgs(v: EspeakVoiceArgs): string[] {
  const args = ['-v', v.voice, '-s', String(v.wordsPerMinute), '-b', '1'];
  if (v.pitch !== undefined) {
    args.push('-p', String(v.pitch));
  }
  if (v.amplitude !== undefined) {
    args.push('-a', String(v.amplitude));
  }
  if (v.wordGap !== undefined) {
    args.push('-g', String(v.wordGap));
  }
  return [...args, '--stdin', '--stdout'];
}

export class EspeakPhraseProcess {
  readonly pid: number | undefined;
  /** Settles once the process exited and all its audio was delivered. */
  readonly done: Promise<PhraseResult>;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #rateHz: number;
  readonly #onAudio: (pcm: Buffer) => void;
  readonly #stderr = new TailBuffer();
  #header: Buffer = Buffer.alloc(0);
  #resampler: Resampler | undefined;
  #carry: Buffer | undefined;
  #dropBytes = 0;
  #samples = 0;
  #killed = false;
  #formatError: string | undefined;

  constructor(
    voice: EspeakVoiceArgs,
    text: string,
    rateHz: number,
    onAudio: (pcm: Buffer) => void,
  ) {
    this.#rateHz = rateHz;
    this.#onAudio = onAudio;
    this.#child = spawn(voice.binary, espeakArgs(voice), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.#child.pid;
    this.#child.stdin.on('error', () => {
      // EPIPE when the process died early: its exit status tells why.
    });
    this.#child.stdin.end(text);
    this.#child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#child.stderr.on('data', (chunk: Buffer) => this.#stderr.push(chunk));
    this.done = new Promise((resolve) => {
      let settled = false;
      const settle = (result: PhraseResult): void => {
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      this.#child.once('error', (err) => {
        settle({ ok: false, killed: this.#killed, message: err.message, voiceError: false });
      });
      this.#child.once('close', (code, signal) => settle(this.#result(code, signal)));
    });
  }

  /** Stop reading output (the process blocks once the pipe is full). */
  pause(): void {
    this.#child.stdout.pause();
  }

  resume(): void {
    this.#child.stdout.resume();
  }

  /** SIGKILL at once; `done` then reports killed. */
  kill(): void {
    this.#killed = true;
    killHard(this.#child);
    this.#child.stdout.destroy();
    this.#child.stderr.destroy();
  }

  #result(code: number | null, signal: NodeJS.Signals | null): PhraseResult {
    if (this.#killed) {
      return { ok: false, killed: true, message: 'killed', voiceError: false };
    }
    const stderr = this.#stderr.text;
    if (this.#formatError !== undefined) {
      return { ok: false, killed: false, message: this.#formatError, voiceError: false };
    }
    if (code !== 0) {
      const why = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      return {
        ok: false,
        killed: false,
        message: `espeak-ng failed (${why})${stderr === '' ? '' : `: ${stderr}`}`,
        voiceError: /voice/i.test(stderr),
      };
    }
    const resampler = this.#resampler;
    if (resampler !== undefined) {
      this.#emit(resampler.flush());
    }
    return { ok: true, samples: this.#samples };
  }

  #onData(chunk: Buffer): void {
    if (this.#killed || this.#formatError !== undefined) {
      return;
    }
    let data = chunk;
    if (this.#resampler === undefined) {
      this.#header = Buffer.concat([this.#header, data]);
      if (this.#header.length < WAV_HEADER_BYTES) {
        return;
      }
      const sourceHz = parseStreamingHeader(this.#header);
      if (typeof sourceHz === 'string') {
        this.#formatError = sourceHz;
        killHard(this.#child);
        return;
      }
      const resampler = new Resampler(sourceHz, this.#rateHz);
      this.#resampler = resampler;
      this.#dropBytes = resampler.delaySamples * 2;
      data = this.#header.subarray(WAV_HEADER_BYTES);
      this.#header = Buffer.alloc(0);
    }
    if (this.#carry !== undefined) {
      data = Buffer.concat([this.#carry, data]);
      this.#carry = undefined;
    }
    if ((data.length & 1) !== 0) {
      this.#carry = data.subarray(data.length - 1);
      data = data.subarray(0, data.length - 1);
    }
    if (data.length > 0) {
      this.#emit(this.#resampler.process(data));
    }
  }

  /** Deliver resampled audio minus the filter's leading delay (time-aligned output). */
  #emit(pcm: Buffer): void {
    let out = pcm;
    if (this.#dropBytes > 0) {
      const drop = Math.min(this.#dropBytes, out.length);
      this.#dropBytes -= drop;
      out = out.subarray(drop);
    }
    if (out.length > 0) {
      this.#samples += out.length >> 1;
      this.#onAudio(out);
    }
  }
}

/** The source rate of espeak-ng's 44-byte streaming WAV header, or an error message. */
export function parseStreamingHeader(header: Buffer): number | string {
  if (
    header.toString('ascii', 0, 4) !== 'RIFF' ||
    header.toString('ascii', 8, 12) !== 'WAVE' ||
    header.toString('ascii', 36, 40) !== 'data'
  ) {
    return 'espeak-ng wrote an unexpected WAV header';
  }
  const format = header.readUInt16LE(20);
  const channels = header.readUInt16LE(22);
  const bits = header.readUInt16LE(34);
  if (format !== 1 || channels !== 1 || bits !== 16) {
    return `espeak-ng wrote unsupported audio (format ${format}, ${channels} ch, ${bits} bits)`;
  }
  return header.readUInt32LE(24);
}
