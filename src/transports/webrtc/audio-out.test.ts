import pino from 'pino';
import type { RTCRtpSender, RtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import { synthVoice } from '../../media/pcm.js';
import { OpusAudioOut } from './audio-out.js';
import { OPUS_SILENCE_FRAME } from './opus.js';

/** The one method of werift's sender that the audio path calls: records what is sent. */
function recordingSender(): { sender: RTCRtpSender; sent: RtpPacket[] } {
  const sent: RtpPacket[] = [];
  const sender = {
    sendRtp: (p: RtpPacket) => {
      sent.push(p);
      return Promise.resolve();
    },
  } as unknown as RTCRtpSender;
  return { sender, sent };
}

const frame = (turnId: string, payload: Buffer) => ({
  turnId,
  seq: 0,
  payload,
  turnAudioEndMs: 20,
  textEnd: 0,
  sentTsMs: 0,
  playAtMs: 0,
});

describe('OpusAudioOut', () => {
  it('sends a reply frame of digital silence as the silence packet, without encoding it', () => {
    const out = new OpusAudioOut(16000, {}, pino({ level: 'silent' }));
    const { sender, sent } = recordingSender();
    out.setSender(sender);
    const voice = synthVoice(20, 16000);
    out.sendFrame(frame('t1', Buffer.alloc(640)), 1000);
    out.sendFrame(frame('t1', voice), 1020);
    out.sendFrame(frame('t1', Buffer.alloc(640)), 1040);
    expect(sent).toHaveLength(3);
    expect(sent[0]?.payload.equals(OPUS_SILENCE_FRAME)).toBe(true);
    expect(sent[0]?.header.marker).toBe(true); // the talk spurt starts here
    expect(sent[1]?.payload.equals(OPUS_SILENCE_FRAME)).toBe(false);
    expect(sent[1]?.header.marker).toBe(false);
    expect(sent[2]?.payload.equals(OPUS_SILENCE_FRAME)).toBe(true);
    expect(sent.map((p) => p.header.timestamp - (sent[0]?.header.timestamp ?? 0))).toEqual([
      0, 960, 1920,
    ]);
    expect(out.stats.silentFramesNotEncoded).toBe(2);
    expect(out.stats.audioPacketsOut).toBe(3);
  });
});
