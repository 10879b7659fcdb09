import type { RtpPacket } from 'werift';
import { FRAME_MS, bytesPerFrame } from '../../frames/frames.js';
import type { Metrics } from '../../observability/metrics.js';
import { ClientClock } from '../ws/client-clock.js';
import type { SessionHandle } from '../ports.js';
import { OpusDecoderAtRate } from './opus.js';
import { RtpReceiveState, type RtpReceiveStats } from './rtp-seq.js';

/**
 * The inbound audio of one peer: Opus RTP (48 kHz clock) → sequence and timestamp checks →
 * PCM16 at the pipeline rate → exact 20 ms frames, on the client's capture clock, into the
 * session's uplink. Packets shorter than 20 ms (ptime 10) are gathered into whole frames.
 */
export class OpusAudioIn {
  readonly stats = { framesIn: 0, decodeErrors: 0, decodeUs: 0 };
  readonly #rx = new RtpReceiveState(48_000, FRAME_MS);
  readonly #clientClock = new ClientClock();
  readonly #rateHz: number;
  readonly #frameBytes: number;
  readonly #badFrames;
  readonly #framesIn;
  #decoder: OpusDecoderAtRate | undefined;
  #partial: { buf: Buffer; frameSeq: number; mediaMs: number; nextTs: number } | undefined;

  constructor(pipelineRateHz: number, metrics: Metrics) {
    this.#rateHz = pipelineRateHz;
    this.#frameBytes = bytesPerFrame(pipelineRateHz);
    this.#decoder = new OpusDecoderAtRate(pipelineRateHz);
    this.#badFrames = metrics.framesDropped.labels('bad_frame');
    this.#framesIn = metrics.framesIn;
  }

  rtpStats(): RtpReceiveStats {
    return this.#rx.stats();
  }

  /** Release the decoder; later packets are ignored. */
  stop(): void {
    this.#decoder = undefined;
    this.#partial = undefined;
  }

  /** One packet of the negotiated Opus payload type, arrived at `now`. */
  receive(rtp: RtpPacket, session: SessionHandle, now: number): void {
    const decoder = this.#decoder;
    if (decoder === undefined) {
      return;
    }
    const h = rtp.header;
    const a = this.#rx.accept(h.sequenceNumber, h.timestamp);
    if (a.kind !== 'ok' || rtp.payload.length === 0) {
      return;
    }
    let pcm: Buffer;
    const t0 = process.hrtime.bigint();
    try {
      pcm = decoder.decode(rtp.payload);
    } catch {
      this.stats.decodeErrors++;
      this.#badFrames.inc();
      return;
    }
    this.stats.decodeUs += Number(process.hrtime.bigint() - t0) / 1000;
    const fb = this.#frameBytes;
    if (pcm.length % fb === 0 && this.#partial === undefined) {
      for (let i = 0, off = 0; off < pcm.length; i++, off += fb) {
        this.#push(
          session,
          (a.frameSeq + i) >>> 0,
          a.mediaMs + i * FRAME_MS,
          pcm.subarray(off, off + fb),
          now,
        );
      }
      return;
    }
    // Packets shorter than 20 ms (ptime 10): gather contiguous audio into 20 ms frames.
    const ticks = ((pcm.length / 2) * 48_000) / this.#rateHz;
    let p = this.#partial;
    if (p === undefined || p.nextTs !== a.extTs) {
      p = { buf: Buffer.alloc(0), frameSeq: a.frameSeq, mediaMs: a.mediaMs, nextTs: a.extTs };
    }
    p.buf = Buffer.concat([p.buf, pcm]);
    p.nextTs = a.extTs + ticks;
    while (p.buf.length >= fb) {
      this.#push(session, p.frameSeq, p.mediaMs, p.buf.subarray(0, fb), now);
      p.buf = p.buf.subarray(fb);
      p.frameSeq = (p.frameSeq + 1) >>> 0;
      p.mediaMs += FRAME_MS;
    }
    this.#partial = p.buf.length === 0 ? undefined : p;
  }

  #push(session: SessionHandle, seq: number, mediaMs: number, payload: Buffer, now: number): void {
    this.stats.framesIn++;
    this.#framesIn.inc();
    session.pushFrame({
      seq,
      captureTsMs: this.#clientClock.map(mediaMs, now),
      arrivalTsMs: now,
      payload,
      concealed: false,
    });
  }
}
