/** A simulated phone call over any simulated carrier. */
import { silence, synthVoice } from '../../../../media/pcm.js';
import type { WireMessage } from '../../types.js';

import {
  bytesPerMs,
  encodeSim,
  type CarrierProtocol,
  type Link,
  type Outbound,
  type Target,
} from './sim-wire.js';

// ---- the call --------------------------------------------------------------------------

export interface SimCallOptions {
  /** Carrier-side playout buffer before audio is heard. */
  playoutDelayMs?: number;
  /** Swap every n-th pair of media messages (out-of-order delivery). */
  swapEvery?: number;
}

export interface ReceivedAudio {
  atMs: number;
  ms: number;
  wireBytes: number;
  rms: number;
  note?: string;
}

/** One simulated phone call: a real-time microphone and a carrier-side player. */
export class SimCall {
  readonly p: CarrierProtocol;
  readonly link: Link;
  readonly audio: ReceivedAudio[] = [];
  readonly acked: string[] = [];
  readonly marksReceived: string[] = [];
  readonly unknown: string[] = [];
  clears = 0;
  hangups = 0;
  readonly #o: Required<SimCallOptions>;
  readonly #pendingMarks = new Map<string, NodeJS.Timeout>();
  #playheadMs = 0;
  #queue: { chunks: Buffer[]; done: () => void }[] = [];
  #segment: { chunks: Buffer[]; done: () => void } | undefined;
  #index = 0;
  #startMs = 0;
  #mic: NodeJS.Timeout | undefined;
  #held: WireMessage | undefined;
  #utterance = 0;
  #stopped = false;

  private constructor(p: CarrierProtocol, link: Link, o: SimCallOptions) {
    this.p = p;
    this.link = link;
    this.#o = { playoutDelayMs: o.playoutDelayMs ?? 40, swapEvery: o.swapEvery ?? 0 };
    link.onMessage = (data, isBinary) => {
      for (const out of p.parse(data, isBinary)) {
        this.#onOut(out);
      }
    };
  }

  static async dial(p: CarrierProtocol, t: Target, o: SimCallOptions = {}): Promise<SimCall> {
    const link = await p.connect(t);
    const call = new SimCall(p, link, o);
    for (const m of p.opening()) {
      link.send(m);
    }
    return call;
  }

  /** Reply audio received so far, in ms. */
  get receivedMs(): number {
    return this.audio.reduce((a, x) => a + x.ms, 0);
  }

  /** Start the microphone (silence unless speaking). */
  startMic(): void {
    this.#startMs = Date.now();
    this.#schedule();
  }

  say(ms: number): Promise<void> {
    return this.#enqueue(synthVoice(ms, this.p.input.rate, ++this.#utterance));
  }

  pause(ms: number): Promise<void> {
    return this.#enqueue(silence(ms, this.p.input.rate));
  }

  dtmf(digit: string): void {
    for (const m of this.p.dtmf(digit)) {
      this.link.send(m);
    }
  }

  send(m: WireMessage): void {
    this.link.send(m);
  }

  /** The caller hangs up: the carrier's stop message (if any), then the socket closes. */
  async hangup(): Promise<void> {
    this.stop();
    for (const m of this.p.hangup()) {
      this.link.send(m);
    }
    this.link.close();
    await this.link.closed;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#mic !== undefined) {
      clearTimeout(this.#mic);
    }
    for (const t of this.#pendingMarks.values()) {
      clearTimeout(t);
    }
    this.#pendingMarks.clear();
  }

  #onOut(out: Outbound): void {
    const now = Date.now();
    switch (out.kind) {
      case 'audio': {
        const ms = (out.pcm.length / 2 / out.rate) * 1000;
        this.#playheadMs = Math.max(this.#playheadMs, now + this.#o.playoutDelayMs) + ms;
        this.audio.push({
          atMs: now,
          ms,
          wireBytes: out.wireBytes,
          rms: rms(out.pcm),
          ...(out.note === undefined ? {} : { note: out.note }),
        });
        return;
      }
      case 'mark': {
        this.marksReceived.push(out.name);
        const name = out.name;
        const t = setTimeout(
          () => {
            this.#pendingMarks.delete(name);
            this.acked.push(name);
            for (const m of this.p.markAck(name)) {
              this.link.send(m);
            }
          },
          Math.max(0, this.#playheadMs - now),
        );
        this.#pendingMarks.set(name, t);
        return;
      }
      case 'clear': {
        this.clears++;
        this.#playheadMs = now;
        const pending = [...this.#pendingMarks.keys()];
        for (const t of this.#pendingMarks.values()) {
          clearTimeout(t);
        }
        this.#pendingMarks.clear();
        for (const m of this.p.clearAck(pending)) {
          this.link.send(m);
        }
        return;
      }
      case 'hangup':
        this.hangups++;
        return;
      case 'unknown':
        this.unknown.push(out.text);
        return;
    }
  }

  #enqueue(pcm: Buffer): Promise<void> {
    const chunkBytes = (this.p.input.rate * this.p.input.chunkMs * 2) / 1000;
    const chunks: Buffer[] = [];
    for (let off = 0; off < pcm.length; off += chunkBytes) {
      const c = Buffer.alloc(chunkBytes);
      pcm.copy(c, 0, off, Math.min(pcm.length, off + chunkBytes));
      chunks.push(c);
    }
    return new Promise((resolve) => this.#queue.push({ chunks, done: resolve }));
  }

  #schedule(): void {
    if (this.#stopped) {
      return;
    }
    const due = this.#startMs + (this.#index + 1) * this.p.input.chunkMs;
    this.#mic = setTimeout(() => this.#tick(), Math.max(0, due - Date.now()));
  }

  #tick(): void {
    if (this.#stopped || !this.link.isOpen) {
      return;
    }
    const chunkMs = this.p.input.chunkMs;
    while (this.#startMs + (this.#index + 1) * chunkMs <= Date.now()) {
      this.#segment ??= this.#queue.shift();
      const seg = this.#segment;
      const pcm = seg?.chunks.shift() ?? silence(chunkMs, this.p.input.rate);
      if (seg !== undefined && seg.chunks.length === 0) {
        this.#segment = undefined;
        seg.done();
      }
      const msg = this.p.media(encodeSim(this.p.input, pcm), this.#index, this.#index * chunkMs);
      this.#index++;
      const n = this.#o.swapEvery;
      if (n > 0 && this.#index % n === n - 1 && this.#held === undefined) {
        this.#held = msg; // sent after the next one
      } else {
        this.link.send(msg);
        if (this.#held !== undefined) {
          this.link.send(this.#held);
          this.#held = undefined;
        }
      }
    }
    this.#schedule();
  }
}

function rms(pcm: Buffer): number {
  const n = pcm.length >> 1;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = pcm.readInt16LE(i * 2);
    sum += s * s;
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** Bytes of one `ms` of inbound audio (tests of chunk sizes). */
export function inboundBytes(p: CarrierProtocol, ms: number): number {
  return bytesPerMs(p.input) * ms;
}
