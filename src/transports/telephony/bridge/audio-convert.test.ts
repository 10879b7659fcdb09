import { describe, expect, it } from 'vitest';
import type { OutputFrame } from '../../../frames/frames.js';
import { mulawEncode } from '../../../media/codecs/g711.js';
import { synthVoice } from '../../../media/pcm.js';
import { createMetrics } from '../../../observability/metrics.js';
import { makeFormat, exactFrameRule, frameRule } from '../chunker.js';
import { EXOTEL_CHUNK } from '../exotel.js';
import { createSerializer } from '../serializers.js';
import type { WireMessage } from '../types.js';
import { decodeCarrier, encodeCarrier, OutboundAudio } from './audio-convert.js';
import { InboundAudio } from './inbound-audio.js';
import { CarrierTransport, type CarrierWire } from './carrier-transport.js';

const MULAW_8K = makeFormat('mulaw', 8000, frameRule('mulaw', 8000));
const PCM_8K = makeFormat('pcm16', 8000, exactFrameRule('pcm16', 8000));

function outFrame(seq: number, rate = 16000, turnId = 't1'): OutputFrame {
  return {
    turnId,
    seq,
    payload: synthVoice(20, rate, seq + 1),
    turnAudioEndMs: (seq + 1) * 20,
    textEnd: seq,
    sentTsMs: 0,
    playAtMs: 0,
  };
}

describe('InboundAudio', () => {
  it('turns 20 ms µ-law chunks into 20 ms frames at the pipeline rate, in chunk order', () => {
    const a = new InboundAudio({ format: MULAW_8K, pipelineRateHz: 16000 });
    const speech = mulawEncode(synthVoice(200, 8000));
    const seqs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = a.push(speech.subarray(i * 160, (i + 1) * 160), 101 + i, 1000 + i * 20);
      expect(r.kind).toBe('frames');
      if (r.kind === 'frames') {
        for (const f of r.frames) {
          expect(f.payload.length).toBe(640);
          seqs.push(f.seq);
        }
      }
    }
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('re-chunks odd carrier chunk sizes to exact 20 ms frames', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 16000 });
    const pcm = synthVoice(1000, 8000);
    let frames = 0;
    for (let off = 0; off < pcm.length; off += 234) {
      const r = a.push(pcm.subarray(off, Math.min(pcm.length, off + 234)), undefined, 0);
      if (r.kind === 'frames') {
        frames += r.frames.length;
      }
    }
    expect(frames).toBe(50);
  });

  /** PCM16 chunks at 8 kHz whose samples all hold the chunk number (no resampling at 8 kHz). */
  function numbered(c: number, bytes = 320): Buffer {
    const b = Buffer.alloc(bytes);
    for (let i = 0; i + 1 < bytes; i += 2) {
      b.writeInt16LE(c, i);
    }
    return b;
  }

  function run(
    a: InboundAudio,
    order: readonly number[],
    bytes = 320,
  ): { seqs: number[]; chunks: number[]; dropped: string[] } {
    const seqs: number[] = [];
    const chunks: number[] = [];
    const dropped: string[] = [];
    order.forEach((c, i) => {
      const r = a.push(numbered(c, bytes), c, 1000 + i * (bytes / 16));
      if (r.kind === 'frames') {
        for (const f of r.frames) {
          seqs.push(f.seq);
          chunks.push(f.payload.readInt16LE(0));
        }
        if (r.dropped !== undefined) {
          dropped.push(`${c}:${r.dropped}`);
        }
      }
    });
    return { seqs, chunks, dropped };
  }

  it('puts chunks back in order by their numbers from the very first one, duplicates dropped', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 8000 });
    // Chunk 2 arrives before chunk 1 (Telnyx does not guarantee order); 6 comes twice.
    const order = [2, 1, 4, 3, 5, 7, 6, 6, 8, 9, 10, 11, 12, 13, 14];
    const { seqs, chunks, dropped } = run(a, order);
    expect(chunks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(seqs).toEqual(chunks.map((_, i) => i));
    expect(dropped).toEqual(['6:duplicate']);
  });

  it('re-frames reordered 100 ms chunks (Exotel, FreeSWITCH, Plivo sizes) without loss', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 8000 });
    const { seqs, chunks } = run(a, [1, 3, 2, 4, 5, 6], 1600);
    expect(chunks).toEqual([
      1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6,
    ]);
    expect(seqs).toEqual(chunks.map((_, i) => i));
  });

  it('gives up on a chunk that never comes: seqs stay contiguous, capture time moves on', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 8000 });
    const order = Array.from({ length: 40 }, (_, i) => i + 1).filter((c) => c !== 10);
    const ts: number[] = [];
    const got: number[] = [];
    order.forEach((c, i) => {
      const r = a.push(numbered(c), c, 1000 + c * 20 + i * 0);
      if (r.kind === 'frames') {
        for (const f of r.frames) {
          got.push(f.payload.readInt16LE(0));
          ts.push(f.captureTsMs);
        }
      }
    });
    const i9 = got.indexOf(9);
    expect(got[i9 + 1]).toBe(11);
    expect((ts[i9 + 1] ?? 0) - (ts[i9] ?? 0)).toBeCloseTo(40, 6);
    expect(a.stats.gaps).toBe(1);
    // The missing chunk arriving now is too late to place: dropped, never out of order.
    const late = a.push(numbered(10), 10, 2000);
    expect(late.kind === 'frames' && late.dropped).toBe('late');
  });

  it('waits for a gap by the audio that arrived behind it, not by wall time', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 8000 });
    // Chunk 9 overtaken by 10; then seconds pass (an event-loop stall) before 9 arrives.
    const first = [1, 2, 3, 4, 5, 6, 7, 8, 10];
    const { chunks, dropped } = run(a, first);
    const late = a.push(numbered(9), 9, 5000);
    expect(late.dropped).toBeUndefined();
    const all = [...chunks, ...late.frames.map((f) => f.payload.readInt16LE(0))];
    expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(dropped).toEqual([]);
    // Given up on once 120 ms of later audio has arrived, however fast it came.
    const b = new InboundAudio({ format: PCM_8K, pipelineRateHz: 8000 });
    const r = run(b, [...first, 11, 12, 13, 14, 15, 16]);
    expect(r.chunks).toContain(16);
    expect(b.push(numbered(9), 9, 1001).dropped).toBe('late');
  });

  it('maps frame media times to increasing capture times on the relay clock', () => {
    const a = new InboundAudio({ format: MULAW_8K, pipelineRateHz: 8000 });
    const t: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = a.push(Buffer.alloc(160, 0xff), i, 5000 + i * 20 + (i % 2) * 7);
      if (r.kind === 'frames') {
        t.push(...r.frames.map((f) => f.captureTsMs));
      }
    }
    expect(t.length).toBeGreaterThan(10);
    for (let i = 1; i < t.length; i++) {
      expect((t[i] ?? 0) - (t[i - 1] ?? 0)).toBeCloseTo(20, 6);
    }
  });

  it('re-frames chunks of odd byte counts (split samples) without losing a byte', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 8000 });
    const pcm = synthVoice(1000, 8000);
    const got: Buffer[] = [];
    let off = 0;
    for (let i = 0; off < pcm.length; i++) {
      const n = 81 + (i % 5) * 200; // 81 … 881 B: 5 … 55 ms, every one odd
      const r = a.push(pcm.subarray(off, Math.min(pcm.length, off + n)), i + 1, 1000 + off / 16);
      got.push(...r.frames.map((f) => f.payload));
      off += n;
    }
    expect(Buffer.concat(got).equals(pcm)).toBe(true);
  });

  it('gives 100 ms chunks 20 ms capture steps from the first chunk on', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 16000 });
    const t: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Each chunk arrives when its last sample was captured: at 100·(i+1) ms.
      const r = a.push(synthVoice(100, 8000, i), i + 1, 5000 + (i + 1) * 100);
      t.push(...r.frames.map((f) => f.captureTsMs));
    }
    expect(t.length).toBeGreaterThanOrEqual(24);
    t.forEach((x, i) => expect(x).toBeCloseTo(5000 + i * 20, 6));
  });

  it('ends the audio before a lost chunk completely: the resampler tail and a padded frame', () => {
    const a = new InboundAudio({ format: PCM_8K, pipelineRateHz: 16000 });
    const frames: number[] = [];
    const ts: number[] = [];
    // Chunk 4 never comes; later arrivals end the wait for it.
    for (const c of [1, 2, 3, 5, 6, 7, 8, 9, 10]) {
      const r = a.push(synthVoice(30, 8000, c), c, 1000 + c * 30);
      frames.push(...r.frames.map((f) => f.seq));
      ts.push(...r.frames.map((f) => f.captureTsMs));
    }
    // 90 ms before the gap, all of it out (5 frames, the last padded); then from 120 ms on.
    expect(a.stats.gaps).toBe(1);
    expect(frames).toEqual(frames.map((_, i) => i));
    const resume = ts.findIndex((x, i) => i > 0 && x - (ts[i - 1] ?? 0) > 20.5);
    expect(resume).toBe(5);
    expect((ts[5] ?? 0) - (ts[0] ?? 0)).toBeCloseTo(120, 6);
  });
});

describe('codec helpers', () => {
  it('decodes channel 0 of interleaved stereo and round-trips big-endian L16', () => {
    const stereo = Buffer.alloc(8);
    stereo.writeInt16LE(100, 0);
    stereo.writeInt16LE(-5, 2);
    stereo.writeInt16LE(200, 4);
    stereo.writeInt16LE(-7, 6);
    const d = decodeCarrier('pcm16', 2, stereo);
    expect(d.ok && [d.pcm.readInt16LE(0), d.pcm.readInt16LE(2)]).toEqual([100, 200]);
    const pcm = synthVoice(20, 16000);
    const be = encodeCarrier('pcm16be', 1, pcm);
    expect(be.readInt16BE(2)).toBe(pcm.readInt16LE(2));
    const back = decodeCarrier('pcm16be', 1, be);
    expect(back.ok && back.pcm.equals(pcm)).toBe(true);
    expect(encodeCarrier('mulaw', 2, pcm).length).toBe(640);
  });
});

describe('OutboundAudio', () => {
  it('releases Exotel pieces only as whole valid chunks, with the seq of the last whole frame', () => {
    const o = new OutboundAudio(16000, makeFormat('pcm16', 8000, EXOTEL_CHUNK));
    const pieces = [];
    for (let seq = 0; seq < 23; seq++) {
      const p = o.push(outFrame(seq));
      if (p !== undefined) {
        pieces.push(p);
      }
    }
    // 320 B per frame at 8 kHz: a piece every 10 frames.
    expect(pieces.map((p) => [p.bytes.length, p.lastSeq, p.frames])).toEqual([
      [3200, 9, 10],
      [3200, 19, 10],
    ]);
    const last = o.finish();
    expect(last?.lastSeq).toBe(22);
    expect((last?.bytes.length ?? 0) >= 3 * 320).toBe(true);
  });

  it('sends Twilio audio a frame at a time', () => {
    const o = new OutboundAudio(16000, MULAW_8K);
    for (let seq = 0; seq < 5; seq++) {
      const p = o.push(outFrame(seq));
      expect(p?.bytes.length).toBe(160);
      expect(p?.lastSeq).toBe(seq);
    }
  });
});

class FakeWire implements CarrierWire {
  readonly sent: WireMessage[] = [];
  open = true;
  bufferedAmount = 0;
  closed: number | undefined;
  send(m: WireMessage): void {
    this.sent.push(m);
  }
  close(code: number): void {
    this.closed = code;
    this.open = false;
  }
  text(): { event?: string; mark?: { name: string } }[] {
    return this.sent
      .filter((m): m is string => typeof m === 'string')
      .map((m) => JSON.parse(m) as { event?: string; mark?: { name: string } });
  }
}

describe('CarrierTransport', () => {
  function twilio(): { t: CarrierTransport; wire: FakeWire } {
    const serializer = createSerializer('twilio', { streamSid: 'MZ1' });
    const wire = new FakeWire();
    const t = new CarrierTransport({
      carrier: 'twilio',
      serializer,
      wire,
      metrics: createMetrics(undefined, true),
      pipelineRateHz: 16000,
      markIntervalMs: 100,
      dropAudioAboveBytes: 1 << 20,
      closeAboveBytes: 1 << 22,
      maxSlowMs: 5000,
      onSlow: () => undefined,
    });
    return { t, wire };
  }

  it('marks the first frame of a reply, then every 100 ms, and the last frame at response.done', () => {
    const { t, wire } = twilio();
    for (let seq = 0; seq < 12; seq++) {
      t.sendAudio(outFrame(seq));
    }
    t.sendEvent({ type: 'response.done', turnId: 't1', text: '', heardText: '' });
    const marks = wire
      .text()
      .filter((m) => m.event === 'mark')
      .map((m) => m.mark?.name);
    expect(marks).toEqual(['vr:0', 'vr:5', 'vr:10', 'vr:11']);
    expect(t.resolveMark('vr:5')).toBe(5);
    // An ack settles the earlier marks too; unknown names resolve to nothing.
    expect(t.resolveMark('vr:0')).toBeUndefined();
    expect(t.resolveMark('nope')).toBeUndefined();
    expect(t.resolveMark('vr:11')).toBe(11);
  });

  it('clears on response.interrupted and ignores the echoes of marks it cut', () => {
    const { t, wire } = twilio();
    for (let seq = 0; seq < 8; seq++) {
      t.sendAudio(outFrame(seq));
    }
    t.sendEvent({ type: 'response.interrupted', turnId: 't1', heardText: '', heardAudioMs: 0 });
    expect(wire.text().at(-1)).toEqual({ event: 'clear', streamSid: 'MZ1' });
    expect(t.resolveMark('vr:0')).toBeUndefined();
    expect(t.resolveMark('vr:5')).toBeUndefined();
    // The next reply starts afresh.
    t.sendAudio(outFrame(8, 16000, 't2'));
    expect(wire.text().at(-1)?.mark?.name).toBe('vr:8');
  });

  it('sends the in-band hang-up only when the relay ends the call', () => {
    const serializer = createSerializer('audiosocket');
    const wire = new FakeWire();
    const opts = {
      carrier: 'audiosocket' as const,
      serializer,
      wire,
      metrics: createMetrics(undefined, true),
      pipelineRateHz: 16000,
      markIntervalMs: 100,
      dropAudioAboveBytes: 1 << 20,
      closeAboveBytes: 1 << 22,
      maxSlowMs: 5000,
      onSlow: () => undefined,
    };
    new CarrierTransport(opts).close(1000, 'bye');
    expect(wire.sent).toEqual([Buffer.from([0, 0, 0])]);
    const wire2 = new FakeWire();
    const t2 = new CarrierTransport({ ...opts, wire: wire2 });
    t2.peerEnded();
    t2.close(1000, 'bye');
    expect(wire2.sent).toEqual([]);
    expect(wire2.closed).toBe(1000);
  });
});
