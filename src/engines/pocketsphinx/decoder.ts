/**
 * One long-lived `pocketsphinx_continuous` process decoding a stream of
 * 16 kHz PCM16 fed in real time.
 *
 * Input goes through a FIFO: pocketsphinx cannot read Node's stdin (a
 * socketpair, which `/dev/stdin` cannot open). We open the FIFO O_RDWR |
 * O_NONBLOCK, which never blocks (with or without a reader yet), and write
 * through a libuv pipe handle (net.Socket), so writes are non-blocking with
 * backpressure in memory. Closing our end is the decoder's EOF: it finalises
 * the current utterance and exits. That close waits until the decoder has the
 * FIFO open (it opens it only after loading its model): closed earlier, the
 * FIFO would drop the audio and leave the decoder blocked in open() for good.
 * The decoder is our direct child: SIGKILL and Node's reaping leave no process
 * behind. Its log goes to /dev/null
 * (`-logfn`) and its stderr is ignored.
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants, open, unlink } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { HypothesisParser, type DecodedUtterance } from './output-parser.js';

const execFileP = promisify(execFile);
/** How long EOF waits for the decoder to open the FIFO (its model load). */
const FIFO_OPEN_WAIT_MS = 30_000;
const openP = promisify(open);

export interface DecoderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** We ended (EOF) or killed it; false = it died on its own. */
  expected: boolean;
  /** Utterances it printed. */
  utterances: number;
}

export interface DecoderSpec {
  binary: string;
  /** Folder for the FIFO (the session's temp dir). */
  dir: string;
  /** Unique per decoder of a session (names the FIFO). */
  index: number;
  /** Extra decoder arguments (-jsgf, -vad_postspeech, -hmm ...). */
  args: readonly string[];
  onUtterance: (u: DecodedUtterance) => void;
  onExit: (exit: DecoderExit) => void;
}

export class Decoder {
  readonly #spec: DecoderSpec;
  readonly #fifo: string;
  #child: ChildProcessByStdio<null, Readable, null> | undefined;
  #socket: Socket | undefined;
  #queued: Buffer[] = [];
  #samples = 0;
  #utterances = 0;
  #ending = false;
  #killed = false;
  #exited = false;
  #exitWaiters: (() => void)[] = [];

  constructor(spec: DecoderSpec) {
    this.#spec = spec;
    this.#fifo = join(spec.dir, `audio-${spec.index}.raw`);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** 16 kHz samples written so far (the decoder's time base). */
  get samplesWritten(): number {
    return this.#samples;
  }

  /** Accepting audio: not ended, killed or dead. */
  get alive(): boolean {
    return !this.#ending && !this.#killed && !this.#exited;
  }

  /** Create the FIFO, open our end and spawn the decoder. Writes before this resolves are queued. */
  async start(): Promise<void> {
    await execFileP('mkfifo', ['-m', '600', this.#fifo]);
    const fd = await openP(this.#fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const socket = new Socket({ fd, readable: false, writable: true });
    socket.on('error', () => {
      // The decoder went away; its exit is reported from the child.
    });
    this.#socket = socket;
    if (this.#killed || this.#exited) {
      socket.destroy();
      this.#removeFifo();
      this.#reportExit(null, null);
      return;
    }
    const child = spawn(
      this.#spec.binary,
      ['-infile', this.#fifo, '-logfn', '/dev/null', '-time', 'yes', ...this.#spec.args],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.#child = child;
    const parser = new HypothesisParser((u) => {
      this.#utterances++;
      this.#spec.onUtterance(u);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => parser.push(text));
    child.stdout.on('end', () => parser.end());
    child.once('error', () => {
      // Spawn failure: 'close' follows with a null code.
    });
    child.once('close', (code, signal) => {
      socket.destroy();
      this.#removeFifo();
      this.#reportExit(code, signal);
    });
    for (const pcm of this.#queued) {
      socket.write(pcm);
    }
    this.#queued = [];
    if (this.#ending) {
      void this.#eofOnceOpened(socket);
    }
  }

  /** Feed 16 kHz PCM16 (ignored once ended or dead). */
  write(pcm: Buffer): void {
    if (!this.alive || pcm.length === 0) {
      return;
    }
    this.#samples += pcm.length >> 1;
    if (this.#socket === undefined) {
      this.#queued.push(pcm);
    } else {
      this.#socket.write(pcm);
    }
  }

  /** EOF: the decoder finalises the current utterance and exits. Resolves once it exited. */
  end(): Promise<void> {
    if (!this.#ending && !this.#killed) {
      this.#ending = true;
      if (this.#socket !== undefined) {
        void this.#eofOnceOpened(this.#socket);
      }
    }
    return this.#exitPromise();
  }

  /**
   * Closes our end once the decoder has the FIFO open: checked every 20 ms until
   * then, for at most FIFO_OPEN_WAIT_MS (then closed anyway, as without the check).
   */
  async #eofOnceOpened(socket: Socket): Promise<void> {
    const giveUpAt = Date.now() + FIFO_OPEN_WAIT_MS;
    while (Date.now() < giveUpAt && !(await this.#decoderHasFifo())) {
      if (this.#killed || this.#exited) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    socket.end();
  }

  /** True once the FIFO is among the decoder's open files (or this cannot be told). */
  async #decoderHasFifo(): Promise<boolean> {
    const dir = `/proc/${this.#child?.pid ?? 0}/fd`;
    try {
      const fifo = await stat(this.#fifo);
      const fds = await Promise.all(
        (await readdir(dir)).map((fd) => stat(join(dir, fd)).catch(() => undefined)),
      );
      return fds.some((f) => f?.ino === fifo.ino && f.dev === fifo.dev);
    } catch {
      // No /proc (not Linux) or the decoder is gone: close now, as before.
      return true;
    }
  }

  /** SIGKILL the decoder now. */
  kill(): void {
    if (this.#killed) {
      return;
    }
    this.#killed = true;
    this.#queued = [];
    this.#socket?.destroy();
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }

  #exitPromise(): Promise<void> {
    if (this.#exited) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  #reportExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) {
      return;
    }
    this.#exited = true;
    this.#spec.onExit({
      code,
      signal,
      expected: this.#ending || this.#killed,
      utterances: this.#utterances,
    });
    for (const resolve of this.#exitWaiters.splice(0)) {
      resolve();
    }
  }

  #removeFifo(): void {
    unlink(this.#fifo, () => {
      // Already gone with the session folder.
    });
  }
}
