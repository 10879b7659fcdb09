import type { RelayClient } from '../client/relay-client.js';
import { silence, synthVoice } from '../media/pcm.js';

/**
 * A simulated microphone for protocol tests: sends a 20 ms frame on an absolute
 * schedule (silence by default) so the relay always has a clock, and speaks or
 * makes noise on demand, resolving when the segment has been sent.
 */
export class LiveMic {
  readonly #client: RelayClient;
  readonly #rate: number;
  readonly #silence: Buffer;
  #seq = 0;
  #startMs = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #segment: { frames: Buffer[]; done(): void } | undefined;
  #queue: { frames: Buffer[]; done(): void }[] = [];
  #utterance = 0;

  constructor(client: RelayClient, sampleRateHz = 16000) {
    this.#client = client;
    this.#rate = sampleRateHz;
    this.#silence = silence(20, sampleRateHz);
  }

  start(): void {
    this.#startMs = Date.now();
    this.#schedule();
  }

  stop(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
    }
  }

  /** Speech-like audio for `ms`. */
  say(ms: number): Promise<void> {
    return this.#enqueue(synthVoice(ms, this.#rate, ++this.#utterance));
  }

  /** Silence for `ms` (the mic keeps running afterwards). */
  pause(ms: number): Promise<void> {
    return this.#enqueue(silence(ms, this.#rate));
  }

  /** Broadband noise for `ms` (a cough, a door). */
  noise(ms: number, amplitude = 6000): Promise<void> {
    const n = Math.round((ms / 1000) * this.#rate);
    const b = Buffer.alloc(n * 2);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      b.writeInt16LE(Math.round(((x / 0x7fffffff) * 2 - 1) * amplitude), i * 2);
    }
    return this.#enqueue(b);
  }

  #enqueue(pcm: Buffer): Promise<void> {
    const fb = (this.#rate / 50) * 2;
    const frames: Buffer[] = [];
    for (let o = 0; o < pcm.length; o += fb) {
      const f = Buffer.alloc(fb);
      pcm.copy(f, 0, o, Math.min(pcm.length, o + fb));
      frames.push(f);
    }
    return new Promise((resolve) => this.#queue.push({ frames, done: resolve }));
  }

  #schedule(): void {
    const due = this.#startMs + (this.#seq + 1) * 20;
    this.#timer = setTimeout(() => this.#send(), Math.max(0, due - Date.now()));
  }

  #send(): void {
    if (this.#client.ws.readyState !== this.#client.ws.OPEN) {
      return;
    }
    while (this.#startMs + (this.#seq + 1) * 20 <= Date.now()) {
      this.#segment ??= this.#queue.shift();
      const seg = this.#segment;
      const frame = seg?.frames.shift() ?? this.#silence;
      if (seg !== undefined && seg.frames.length === 0) {
        this.#segment = undefined;
        seg.done();
      }
      this.#client.sendFrame(frame, this.#seq, this.#seq * 20);
      this.#seq++;
    }
    this.#schedule();
  }
}
