import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { RtpHeader, RtpPacket, type RTCRtpSender } from 'werift';
import { FRAME_MS, type OutputFrame } from '../../frames/frames.js';
import { OPUS_SILENCE_FRAME, OpusEncoderAtRate, type OpusEncoderOptions } from './opus.js';
import { RtpSendClock } from './rtp-seq.js';

const TALK_HANG_MS = 40;
const MAX_SILENCE_BURST = 3;

/**
 * The outbound audio of one peer: paced reply frames (PCM16 at the pipeline rate) → Opus →
 * RTP on the negotiated sender, and an Opus silence packet in every 20 ms slot that got no
 * reply frame, so the browser's jitter buffer sees one continuous stream (timestamps keep
 * +960 per slot). The marker bit is set when a talk spurt (or a new turn) starts.
 */
export class OpusAudioOut {
  readonly stats = { packetsOut: 0, audioPacketsOut: 0, silencePacketsOut: 0, encodeUs: 0 };
  readonly #logger: Logger;
  readonly #tx = new RtpSendClock(randomInt(0, 0x1_0000), randomInt(0, 0x1_0000_0000));
  #encoder: OpusEncoderAtRate | undefined;
  #sender: RTCRtpSender | undefined;
  #payloadType: number | undefined;
  #inTalk = false;
  #lastAudioMs = 0;
  #lastTurn = '';

  constructor(pipelineRateHz: number, opus: OpusEncoderOptions, logger: Logger) {
    this.#logger = logger;
    this.#encoder = new OpusEncoderAtRate(pipelineRateHz, opus);
  }

  /** The RTP sender of the negotiated audio transceiver. */
  setSender(sender: RTCRtpSender): void {
    this.#sender = sender;
  }

  /** The negotiated Opus payload type (111 until known). */
  setPayloadType(pt: number | undefined): void {
    this.#payloadType = pt;
  }

  /** One reply frame, encoded and sent at `now`. */
  sendFrame(frame: OutputFrame, now: number): void {
    const encoder = this.#encoder;
    if (encoder === undefined) {
      return;
    }
    const resync = !this.#inTalk || frame.turnId !== this.#lastTurn;
    const t0 = process.hrtime.bigint();
    const payload = encoder.encode(frame.payload);
    this.stats.encodeUs += Number(process.hrtime.bigint() - t0) / 1000;
    this.#send(now, payload, resync);
    this.stats.audioPacketsOut++;
    this.#inTalk = true;
    this.#lastAudioMs = now;
    this.#lastTurn = frame.turnId;
  }

  /** Called every 20 ms by the shared ticker: silence for the slots without reply audio. */
  tick(now: number): void {
    if (this.#sender === undefined) {
      return;
    }
    if (this.#inTalk) {
      if (now - this.#lastAudioMs < FRAME_MS + TALK_HANG_MS) {
        return;
      }
      this.#inTalk = false;
    }
    if (!this.#tx.started) {
      this.#sendSilence(now);
      return;
    }
    for (let n = 0; n < MAX_SILENCE_BURST && this.#tx.nextDueMs() <= now; n++) {
      this.#sendSilence(now);
    }
    if (this.#tx.nextDueMs() <= now - FRAME_MS) {
      this.#tx.skipTo(now);
    }
  }

  /** Release the encoder; later frames are ignored. */
  stop(): void {
    this.#encoder = undefined;
  }

  /** Forget the sender (the peer connection is going away). */
  detach(): void {
    this.#sender = undefined;
  }

  #sendSilence(now: number): void {
    this.#send(now, OPUS_SILENCE_FRAME, false);
    this.stats.silencePacketsOut++;
  }

  #send(now: number, payload: Buffer, marker: boolean): void {
    const sender = this.#sender;
    if (sender === undefined) {
      return;
    }
    const { seq, ts } = this.#tx.next(now, marker);
    const header = new RtpHeader({
      sequenceNumber: seq,
      timestamp: ts,
      marker,
      payloadType: this.#payloadType ?? 111,
    });
    this.stats.packetsOut++;
    sender.sendRtp(new RtpPacket(header, payload)).catch((err: unknown) => {
      this.#logger.debug(
        { err: err instanceof Error ? err.message : String(err) },
        'RTP send failed',
      );
    });
  }
}
