import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  DEFAULT_THRESHOLDS,
  FLAG_REPLY_START,
  HEADER_BYTES,
  buildFrame,
  createCall,
  evaluateThresholds,
  k6Thresholds,
  parseHeader,
  parseWav,
  percentile,
  sessionUrl,
  speechPcm,
  thresholdsFromEnv,
  type Call,
  type CallResults,
} from '../../loadtest/lib/protocol.js';
import {
  base64Decode,
  base64Encode,
  createPlayout,
  linearToMulaw,
  mediaMessage,
  pcm16ToMulaw,
} from '../../loadtest/lib/twilio.js';
import { nowMs } from '../core/clock.js';
import { encodeWav } from '../media/wav.js';
import { rmsDbfs } from '../media/pcm.js';
import type { Relay } from '../server/relay.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';

/** Drive one call the way loadtest/voice-call.js does, over a Node ws client. */
async function runCall(url: string, token: string, call: Call): Promise<CallResults> {
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  ws.binaryType = 'arraybuffer';
  ws.on('message', (data: ArrayBuffer, isBinary: boolean) => {
    if (isBinary) {
      call.onBinary(data, nowMs());
    } else {
      call.onText(Buffer.from(data).toString('utf8'), nowMs());
    }
  });
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) {
      return;
    }
    for (const frame of call.poll(nowMs())) {
      ws.send(frame);
    }
    if (call.done) {
      ws.close(1000);
    }
  }, 5);
  await new Promise<void>((resolve) => {
    ws.on('close', (code: number) => {
      call.onClose(code);
      resolve();
    });
    ws.on('error', () => undefined);
  });
  clearInterval(timer);
  return call.results();
}

describe('loadtest/lib/protocol.js (pure)', () => {
  it('builds exact-size frames and parses their header', () => {
    const payload = new Uint8Array(640).fill(7);
    const buf = buildFrame(0xffff_ffff + 2, 2 ** 32 + 5, payload, FLAG_REPLY_START);
    expect(buf.byteLength).toBe(HEADER_BYTES + 640);
    expect(parseHeader(buf)).toEqual({ seq: 1, timestampMs: 5, flags: 1, payloadBytes: 640 });
    expect(new Uint8Array(buf, HEADER_BYTES)[639]).toBe(7);
    expect(parseHeader(new ArrayBuffer(4))).toBeNull();
  });

  it('reads the PCM of a WAV and generates voiced speech', () => {
    const pcm = Buffer.from(speechPcm(16_000, 200));
    expect(pcm.length).toBe(6400);
    expect(rmsDbfs(pcm.subarray(0, 640))).toBeGreaterThan(-30);
    const wav = encodeWav({ sampleRateHz: 16_000, channels: 1, data: pcm });
    const parsed = parseWav(Uint8Array.from(wav).buffer);
    expect(parsed.sampleRateHz).toBe(16_000);
    expect(Buffer.from(parsed.pcm).equals(pcm)).toBe(true);
  });

  it('turns thresholds into k6 options and evaluates them like k6', () => {
    const t = thresholdsFromEnv({ FIRST_AUDIO_P95_MS: '800', CALL_OK_RATE: '' });
    expect(t).toEqual({ ...DEFAULT_THRESHOLDS, firstAudioP95Ms: 800 });
    expect(k6Thresholds(t)).toEqual({
      time_to_first_audio: ['p(95)<800'],
      voice_to_voice: [`p(95)<${DEFAULT_THRESHOLDS.voiceToVoiceP95Ms}`],
      call_ok: [`rate>=${DEFAULT_THRESHOLDS.callOkRate}`],
    });
    const samples = { firstAudioMs: [700, 900], voiceToVoiceMs: [600], calls: 2, callsOk: 2 };
    expect(percentile([3, 1, 2], 50)).toBe(2);
    const r = evaluateThresholds(samples, t);
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual(['time_to_first_audio p(95)=900 !< 800']);
    expect(evaluateThresholds({ ...samples, callsOk: 0 }, { ...t, firstAudioP95Ms: 901 })).toEqual({
      ok: false,
      failures: [`call_ok rate=0 !>= ${DEFAULT_THRESHOLDS.callOkRate}`],
    });
  });

  it('sends 20 ms frames on the capture timeline, speech then silence', () => {
    const call = createCall({ speech: speechPcm(16_000, 100), turns: 1, leadMs: 40 });
    expect(call.poll(0)).toEqual([]);
    call.onText(JSON.stringify({ type: 'session.ready', sessionId: 's1' }), 1000);
    expect(call.poll(1019)).toHaveLength(0);
    expect(call.poll(1040)).toHaveLength(2); // the 40 ms lead
    const speech = call.poll(1140);
    expect(speech).toHaveLength(5);
    expect(call.phase).toBe('waiting');
    expect(call.results().turns[0]?.speechEndMs).toBe(1140);
    call.onBinary(buildFrame(0, 0, new Uint8Array(640), FLAG_REPLY_START), 1400);
    call.onText(JSON.stringify({ type: 'turn.metrics', voiceToVoiceMs: 250 }), 1500);
    call.poll(1800);
    expect(call.done).toBe(true);
    const r = call.results();
    expect(r.ok).toBe(true);
    expect(r.turns[0]).toMatchObject({ firstAudioMs: 260, voiceToVoiceMs: 250 });
  });
});

describe('loadtest/lib/twilio.js (pure)', () => {
  it('encodes µ-law and base64 like the reference implementations', () => {
    expect(linearToMulaw(0)).toBe(0xff);
    expect(linearToMulaw(-1)).toBe(0x7f);
    expect(linearToMulaw(32767)).toBe(0x80);
    expect(linearToMulaw(-32768)).toBe(0x00);
    const bytes = Uint8Array.from({ length: 161 }, (_, i) => (i * 37) & 0xff);
    const b64 = base64Encode(bytes);
    expect(b64).toBe(Buffer.from(bytes).toString('base64'));
    expect(Buffer.from(base64Decode(b64)).equals(Buffer.from(bytes))).toBe(true);
    const pcm = new Uint8Array(320);
    expect(pcm16ToMulaw(pcm).every((b) => b === 0xff)).toBe(true);
    const msg = JSON.parse(mediaMessage('MZ1', 3, 2, 20, pcm16ToMulaw(pcm))) as {
      media: { payload: string; chunk: string };
    };
    expect(msg.media.chunk).toBe('2');
    expect(base64Decode(msg.media.payload)).toHaveLength(160);
  });

  it('echoes a mark once the audio before it has played, and at once on clear', () => {
    const p = createPlayout();
    const media = JSON.stringify({
      event: 'media',
      media: { payload: base64Encode(new Uint8Array(160)) },
    });
    p.onRelayMessage(media, 1000);
    p.onRelayMessage(media, 1000);
    p.onRelayMessage(JSON.stringify({ event: 'mark', mark: { name: 'm1' } }), 1001);
    expect(p.due(1039)).toEqual([]);
    expect(p.due(1040)).toEqual(['m1']);
    p.onRelayMessage(media, 2000);
    p.onRelayMessage(JSON.stringify({ event: 'mark', mark: { name: 'm2' } }), 2000);
    expect(p.onRelayMessage(JSON.stringify({ event: 'clear' }), 2001).marksToEcho).toEqual(['m2']);
    expect(p.mediaMessages).toBe(3);
  });
});

describe('the k6 voice-call message sequence against a relay', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    await relay.close();
  });

  it('measures time to first audio and voice-to-voice for every turn', async () => {
    const token = await testToken();
    const call = createCall({ speech: speechPcm(16_000, 1000), turns: 2, gapMs: 200 });
    const r = await runCall(sessionUrl(wsUrl(relay), 'sim'), token, call);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.sessionId).toEqual(expect.any(String));
    expect(r.turns).toHaveLength(2);
    for (const t of r.turns) {
      expect(t.transcript).toMatch(/\w/);
      expect(t.reply).toMatch(/^You said: /);
      expect(t.firstAudioMs).toBeGreaterThan(0);
      expect(t.voiceToVoiceMs).toBeGreaterThan(0);
      expect(t.metrics).toMatchObject({ type: 'turn.metrics', turnId: t.turnId });
    }
    expect(r.framesReceived).toBeGreaterThan(0);
    expect(r.framesSent).toBeGreaterThan(100);

    // The threshold logic k6 applies, on the measured values.
    const samples = {
      firstAudioMs: r.turns.map((t) => t.firstAudioMs ?? NaN),
      voiceToVoiceMs: r.turns.map((t) => t.voiceToVoiceMs ?? NaN),
      calls: 1,
      callsOk: r.ok ? 1 : 0,
    };
    const worst = Math.max(...samples.firstAudioMs, ...samples.voiceToVoiceMs);
    const loose = { firstAudioP95Ms: worst + 1, voiceToVoiceP95Ms: worst + 1, callOkRate: 1 };
    expect(evaluateThresholds(samples, loose)).toEqual({ ok: true, failures: [] });
    const tight = { ...loose, firstAudioP95Ms: Math.min(...samples.firstAudioMs) };
    expect(evaluateThresholds(samples, tight).failures[0]).toMatch(/^time_to_first_audio/);
  }, 30_000);
});
