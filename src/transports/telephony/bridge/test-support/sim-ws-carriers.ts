/** Simulated carriers with JSON media over WebSocket: Twilio, Telnyx, Vonage, Plivo. */
import { twilioSignature } from '../../auth.js';

import {
  audioOut,
  json,
  num,
  parseJson,
  str,
  textOf,
  wsLink,
  type CarrierProtocol,
  type SimAudio,
} from './sim-wire.js';

// ---- carriers --------------------------------------------------------------------------

export interface TwilioSim {
  authToken: string;
  /** `<Parameter name="token">` (omit to test refusals). */
  token?: string;
  callSid: string;
  /** Sign the URL with this token instead (refusal tests). */
  signWith?: string;
}

export function twilio(o: TwilioSim): CarrierProtocol {
  const streamSid = `MZ${o.callSid.slice(2)}`;
  let seq = 0;
  const next = (): string => String(++seq);
  const a: SimAudio = { encoding: 'mulaw', rate: 8000, channels: 1 };
  return {
    carrier: 'twilio',
    callKey: o.callSid,
    input: { ...a, chunkMs: 20 },
    output: a,
    caps: { marks: true, clear: true, dtmf: true },
    async connect(t) {
      const path = '/v1/telephony/twilio';
      const sig = twilioSignature(o.signWith ?? o.authToken, `wss://${t.media}${path}`, {});
      return wsLink(`ws://${t.media}${path}`, { headers: { 'x-twilio-signature': sig } });
    },
    opening: () => [
      json({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
      json({
        event: 'start',
        sequenceNumber: next(),
        start: {
          accountSid: 'AC0000',
          streamSid,
          callSid: o.callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: o.token === undefined ? { caller: 'sim' } : { token: o.token },
        },
        streamSid,
      }),
    ],
    media: (payload, index, tsMs) =>
      json({
        event: 'media',
        sequenceNumber: next(),
        media: {
          track: 'inbound',
          chunk: String(index + 1),
          timestamp: String(tsMs),
          payload: payload.toString('base64'),
        },
        streamSid,
      }),
    parse(data) {
      const m = parseJson(data);
      switch (str(m, 'event')) {
        case 'media': {
          if (str(m, 'streamSid') !== streamSid) {
            return [{ kind: 'unknown', text: 'media for another stream' }];
          }
          const b = Buffer.from(str(m, 'media', 'payload') ?? '', 'base64');
          // Twilio plays µ-law 8 kHz; the relay sends at most 20 ms (160 B) per message.
          return [audioOut(a, b, b.length > 0 && b.length <= 160 ? undefined : `${b.length} B`)];
        }
        case 'mark':
          return [{ kind: 'mark', name: str(m, 'mark', 'name') ?? '' }];
        case 'clear':
          return [{ kind: 'clear' }];
        default:
          return [{ kind: 'unknown', text: textOf(data).slice(0, 100) }];
      }
    },
    markAck: (name) => [json({ event: 'mark', sequenceNumber: next(), streamSid, mark: { name } })],
    // Twilio echoes every pending mark when a clear empties its buffer.
    clearAck: (pending) =>
      pending.map((name) =>
        json({ event: 'mark', sequenceNumber: next(), streamSid, mark: { name } }),
      ),
    dtmf: (digit) => [
      json({
        event: 'dtmf',
        streamSid,
        sequenceNumber: next(),
        dtmf: { track: 'inbound_track', digit },
      }),
    ],
    hangup: () => [
      json({
        event: 'stop',
        sequenceNumber: next(),
        streamSid,
        stop: { accountSid: 'AC0000', callSid: o.callSid },
      }),
    ],
  };
}

export interface TelnyxSim {
  /** Relay client token in the path. */
  pathToken?: string;
  streamingAuthToken?: string;
  callControlId: string;
  /** Token in custom_parameters. */
  token?: string;
}

/** Telnyx with L16 16 kHz (RTP payload: big-endian). */
export function telnyx(o: TelnyxSim): CarrierProtocol {
  const streamId = `st-${o.callControlId}`;
  let seq = 0;
  const next = (): string => String(++seq);
  const a: SimAudio = { encoding: 'pcm16be', rate: 16000, channels: 1 };
  return {
    carrier: 'telnyx',
    callKey: o.callControlId,
    input: { ...a, chunkMs: 20 },
    output: a,
    caps: { marks: true, clear: true, dtmf: true },
    async connect(t) {
      const path = `/v1/telephony/telnyx${o.pathToken === undefined ? '' : `/${o.pathToken}`}`;
      const headers: Record<string, string> = {};
      if (o.streamingAuthToken !== undefined) {
        headers['x-telnyx-streaming-auth-token'] = o.streamingAuthToken;
      }
      return wsLink(`ws://${t.media}${path}`, { headers });
    },
    opening: () => [
      json({ event: 'connected', version: '1.0.0' }),
      json({
        event: 'start',
        sequence_number: next(),
        start: {
          user_id: 'u-1',
          call_control_id: o.callControlId,
          media_format: { encoding: 'L16', sample_rate: 16000, channels: 1 },
          custom_parameters: o.token === undefined ? {} : { token: o.token },
        },
        stream_id: streamId,
      }),
    ],
    media: (payload, index, tsMs) =>
      json({
        event: 'media',
        sequence_number: next(),
        media: {
          track: 'inbound',
          chunk: String(index + 1),
          timestamp: String(tsMs),
          payload: payload.toString('base64'),
        },
        stream_id: streamId,
      }),
    parse(data) {
      const m = parseJson(data);
      switch (str(m, 'event')) {
        case 'media': {
          const b = Buffer.from(str(m, 'media', 'payload') ?? '', 'base64');
          // RTP chunks of 20 ms to 30 s, whole L16 samples.
          const ok = b.length >= 640 && b.length <= 960_000 && b.length % 2 === 0;
          return [audioOut(a, b, ok ? undefined : `${b.length} B`)];
        }
        case 'mark':
          return [{ kind: 'mark', name: str(m, 'mark', 'name') ?? '' }];
        case 'clear':
          return [{ kind: 'clear' }];
        default:
          return [{ kind: 'unknown', text: textOf(data).slice(0, 100) }];
      }
    },
    markAck: (name) => [
      json({ event: 'mark', sequence_number: next(), stream_id: streamId, mark: { name } }),
    ],
    clearAck: (pending) =>
      pending.map((name) =>
        json({ event: 'mark', sequence_number: next(), stream_id: streamId, mark: { name } }),
      ),
    dtmf: (digit) => [
      json({ event: 'dtmf', sequence_number: next(), stream_id: streamId, dtmf: { digit } }),
    ],
    hangup: () => [
      json({
        event: 'stop',
        sequence_number: next(),
        stream_id: streamId,
        stop: { reason: 'hangup' },
      }),
    ],
  };
}

export interface PathSim {
  pathToken?: string;
  call: string;
}

/** Vonage, L16 8 kHz, binary 20 ms frames. */
export function vonage(o: PathSim): CarrierProtocol {
  const a: SimAudio = { encoding: 'pcm16', rate: 8000, channels: 1 };
  return {
    carrier: 'vonage',
    callKey: o.call,
    input: { ...a, chunkMs: 20 },
    output: a,
    caps: { marks: true, clear: true, dtmf: true },
    connect: (t) =>
      wsLink(
        `ws://${t.media}/v1/telephony/vonage${o.pathToken === undefined ? '' : `/${o.pathToken}`}`,
      ),
    opening: () => [
      json({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=8000', call: o.call }),
    ],
    media: (payload) => payload,
    parse(data, isBinary) {
      if (isBinary) {
        // Exactly one 20 ms frame per message.
        return [audioOut(a, data, data.length === 320 ? undefined : `${data.length} B`)];
      }
      const m = parseJson(data);
      switch (str(m, 'action')) {
        case 'notify':
          return [{ kind: 'mark', name: str(m, 'payload', 'name') ?? '' }];
        case 'clear':
          return [{ kind: 'clear' }];
        default:
          return [{ kind: 'unknown', text: textOf(data).slice(0, 100) }];
      }
    },
    markAck: (name) => [json({ event: 'websocket:notify', payload: { name } })],
    clearAck: () => [json({ event: 'websocket:cleared' })],
    dtmf: (digit) => [json({ event: 'websocket:dtmf', digit, duration: 260 })],
    hangup: () => [],
  };
}

/** Plivo `<Stream contentType="audio/x-l16;rate=16000">`. */
export function plivo(o: PathSim): CarrierProtocol {
  const streamId = `plivo-${o.call}`;
  let seq = 0;
  const a: SimAudio = { encoding: 'pcm16', rate: 16000, channels: 1 };
  return {
    carrier: 'plivo',
    callKey: o.call,
    input: { ...a, chunkMs: 20 },
    output: a,
    caps: { marks: true, clear: true, dtmf: true },
    connect: (t) =>
      wsLink(
        `ws://${t.media}/v1/telephony/plivo${o.pathToken === undefined ? '' : `/${o.pathToken}`}`,
      ),
    opening: () => [
      json({
        event: 'start',
        sequenceNumber: ++seq,
        start: {
          callId: o.call,
          streamId,
          accountId: 'MA1',
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000 },
        },
        extra_headers: `call=${o.call};region=eu`,
      }),
    ],
    media: (payload, index) =>
      json({
        event: 'media',
        sequenceNumber: ++seq,
        streamId,
        media: {
          track: 'inbound',
          timestamp: String(Date.now()),
          chunk: index + 1,
          payload: payload.toString('base64'),
        },
      }),
    parse(data) {
      const m = parseJson(data);
      switch (str(m, 'event')) {
        case 'playAudio': {
          const ct = str(m, 'media', 'contentType');
          const rate = num(m, 'media', 'sampleRate');
          const note =
            ct === 'audio/x-l16' && rate === 16000 ? undefined : `bad format ${ct}/${rate}`;
          return [audioOut(a, Buffer.from(str(m, 'media', 'payload') ?? '', 'base64'), note)];
        }
        case 'checkpoint':
          return [{ kind: 'mark', name: str(m, 'name') ?? '' }];
        case 'clearAudio':
          return [{ kind: 'clear' }];
        default:
          return [{ kind: 'unknown', text: textOf(data).slice(0, 100) }];
      }
    },
    markAck: (name) => [json({ event: 'playedStream', streamId, name })],
    clearAck: () => [json({ event: 'clearedAudio', streamId })],
    dtmf: (digit) => [json({ event: 'dtmf', streamId, dtmf: { track: 'inbound', digit } })],
    hangup: () => [json({ event: 'stop', streamId })],
  };
}
