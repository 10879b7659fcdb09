/** Simulated carriers: Exotel, jambonz, FreeSWITCH, Asterisk WebSocket and AudioSocket. */
import { audioSocketFrame } from '../../audiosocket.js';

import {
  audioOut,
  json,
  num,
  parseJson,
  str,
  textOf,
  tcpLink,
  wsLink,
  basicHeader,
  type CarrierProtocol,
  type Outbound,
  type SimAudio,
} from './sim-wire.js';

export interface BasicSim {
  username: string;
  password: string;
  call: string;
  /** Relay credential in the start's custom parameters. */
  token?: string;
}

/** Exotel Voicebot, PCM16 8 kHz, 100 ms inbound chunks, Basic auth. */
export function exotel(o: BasicSim): CarrierProtocol {
  const sid = `es-${o.call}`;
  let seq = 0;
  const next = (): string => String(++seq);
  const a: SimAudio = { encoding: 'pcm16', rate: 8000, channels: 1 };
  return {
    carrier: 'exotel',
    callKey: o.call,
    input: { ...a, chunkMs: 100 },
    output: a,
    caps: { marks: true, clear: true, dtmf: true },
    connect: (t) =>
      wsLink(`ws://${t.media}/v1/telephony/exotel?sample-rate=8000`, {
        headers: { authorization: basicHeader(o.username, o.password) },
      }),
    opening: () => [
      json({ event: 'connected' }),
      json({
        event: 'start',
        sequence_number: next(),
        stream_sid: sid,
        start: {
          stream_sid: sid,
          call_sid: o.call,
          account_sid: 'exo1',
          from: '+911',
          to: '+912',
          custom_parameters: o.token === undefined ? {} : { token: o.token },
          media_format: { encoding: 'base64', sample_rate: '8000', bit_rate: '128kbps' },
        },
      }),
    ],
    media: (payload, index, tsMs) =>
      json({
        event: 'media',
        sequence_number: next(),
        stream_sid: sid,
        media: {
          chunk: String(index + 1),
          timestamp: String(tsMs),
          payload: payload.toString('base64'),
        },
      }),
    parse(data) {
      const m = parseJson(data);
      switch (str(m, 'event')) {
        case 'media': {
          const b = Buffer.from(str(m, 'media', 'payload') ?? '', 'base64');
          const ok = b.length >= 3200 && b.length <= 100_000 && b.length % 320 === 0;
          return [audioOut(a, b, ok ? undefined : `chunk of ${b.length} B breaks the Exotel rule`)];
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
      json({ event: 'mark', sequence_number: next(), stream_sid: sid, mark: { name } }),
    ],
    clearAck: () => [],
    dtmf: (digit) => [
      json({
        event: 'dtmf',
        sequence_number: next(),
        stream_sid: sid,
        dtmf: { digit, duration: '120' },
      }),
    ],
    hangup: () => [
      json({
        event: 'stop',
        sequence_number: next(),
        stream_sid: sid,
        stop: { call_sid: o.call, reason: 'callended' },
      }),
    ],
  };
}

/** jambonz `listen`, stereo L16 8 kHz (caller on channel 0), Basic auth (wsAuth). */
export function jambonz(o: BasicSim): CarrierProtocol {
  const a: SimAudio = { encoding: 'pcm16', rate: 8000, channels: 2 };
  const out: SimAudio = { encoding: 'pcm16', rate: 8000, channels: 1 };
  return {
    carrier: 'jambonz',
    callKey: o.call,
    input: { ...a, chunkMs: 20 },
    output: out,
    caps: { marks: false, clear: true, dtmf: true },
    connect: (t) =>
      wsLink(`ws://${t.media}/v1/telephony/jambonz`, {
        protocols: ['audio.jambonz.org'],
        headers: { authorization: basicHeader(o.username, o.password) },
      }),
    opening: () => [
      json({
        callSid: o.call,
        accountSid: 'acc-1',
        from: '+1555',
        to: '+1666',
        sampleRate: 8000,
        mixType: 'stereo',
        metadata: o.token === undefined ? { agent: 'sim' } : { token: o.token },
      }),
    ],
    media: (payload) => payload,
    parse(data, isBinary) {
      if (isBinary) {
        return [audioOut(out, data, data.length <= 320 ? undefined : `frame of ${data.length} B`)];
      }
      const m = parseJson(data);
      switch (str(m, 'type')) {
        case 'killAudio':
          return [{ kind: 'clear' }];
        case 'disconnect':
          return [{ kind: 'hangup' }];
        default:
          return [{ kind: 'unknown', text: textOf(data).slice(0, 100) }];
      }
    },
    markAck: () => [],
    clearAck: () => [],
    dtmf: (digit) => [json({ event: 'dtmf', dtmf: digit, duration: 100 })],
    hangup: () => [],
  };
}

export interface BearerSim {
  bearer: string;
  call: string;
  token?: string;
}

/** FreeSWITCH mod_audio_stream (OSS), L16 16 kHz, metadata first, Bearer via extra headers. */
export function freeswitch(o: BearerSim): CarrierProtocol {
  const a: SimAudio = { encoding: 'pcm16', rate: 16000, channels: 1 };
  return {
    carrier: 'freeswitch',
    callKey: o.call,
    input: { ...a, chunkMs: 20 },
    output: a,
    caps: { marks: false, clear: false, dtmf: false },
    connect: (t) =>
      wsLink(`ws://${t.media}/v1/telephony/freeswitch`, {
        headers: { authorization: `Bearer ${o.bearer}` },
      }),
    opening: () => [
      json(o.token === undefined ? { call: o.call } : { call: o.call, token: o.token }),
    ],
    media: (payload) => payload,
    parse(data) {
      const m = parseJson(data);
      if (str(m, 'type') === 'streamAudio') {
        const rate = num(m, 'data', 'sampleRate');
        const b = Buffer.from(str(m, 'data', 'audioData') ?? '', 'base64');
        const note =
          rate === 16000 && str(m, 'data', 'audioDataType') === 'raw' ? undefined : 'bad format';
        return [audioOut(a, b, note)];
      }
      return [{ kind: 'unknown', text: textOf(data).slice(0, 100) }];
    },
    markAck: () => [],
    clearAck: () => [],
    dtmf: () => [],
    hangup: () => [],
  };
}

/** Asterisk chan_websocket, µ-law, JSON control messages, Basic auth. */
export function asteriskWs(o: BasicSim): CarrierProtocol {
  const a: SimAudio = { encoding: 'mulaw', rate: 8000, channels: 1 };
  return {
    carrier: 'asterisk-ws',
    callKey: o.call,
    input: { ...a, chunkMs: 20 },
    output: a,
    caps: { marks: true, clear: true, dtmf: true },
    connect: (t) =>
      wsLink(`ws://${t.media}/v1/telephony/asterisk`, {
        protocols: ['media'],
        headers: { authorization: basicHeader(o.username, o.password) },
      }),
    opening: () => [
      json({
        event: 'MEDIA_START',
        connection_id: `conn-${o.call}`,
        channel: 'WebSocket/sim',
        channel_id: o.call,
        format: 'ulaw',
        optimal_frame_size: 160,
        ptime: 20,
      }),
    ],
    media: (payload) => payload,
    parse(data, isBinary) {
      if (isBinary) {
        return [audioOut(a, data, data.length % 160 === 0 ? undefined : `${data.length} B`)];
      }
      const m = parseJson(data);
      switch (str(m, 'command')) {
        case 'MARK_MEDIA':
          return [{ kind: 'mark', name: str(m, 'correlation_id') ?? '' }];
        case 'FLUSH_MEDIA':
          return [{ kind: 'clear' }];
        case 'HANGUP':
          return [{ kind: 'hangup' }];
        default:
          return [{ kind: 'unknown', text: textOf(data).slice(0, 100) }];
      }
    },
    markAck: (name) => [
      json({ event: 'MEDIA_MARK_PROCESSED', channel_id: o.call, correlation_id: name }),
    ],
    clearAck: () => [],
    dtmf: (digit) => [json({ event: 'DTMF_END', channel_id: o.call, digit })],
    hangup: () => [],
  };
}

/** Asterisk AudioSocket over TCP: UUID, slin16 8 kHz, DTMF, hang-up. */
export function audioSocket(o: { uuid: string }): CarrierProtocol {
  const a: SimAudio = { encoding: 'pcm16', rate: 8000, channels: 1 };
  let pending = Buffer.alloc(0);
  return {
    carrier: 'audiosocket',
    callKey: o.uuid,
    input: { ...a, chunkMs: 20 },
    output: a,
    caps: { marks: false, clear: false, dtmf: true },
    connect: (t) => tcpLink(t.audioSocketPort ?? 0),
    opening: () => [audioSocketFrame(0x01, Buffer.from(o.uuid.replace(/-/g, ''), 'hex'))],
    media: (payload) => audioSocketFrame(0x10, payload),
    parse(data) {
      pending = Buffer.concat([pending, data]);
      const out: Outbound[] = [];
      while (pending.length >= 3) {
        const len = pending.readUInt16BE(1);
        if (pending.length < 3 + len) {
          break;
        }
        const kind = pending[0];
        const payload = pending.subarray(3, 3 + len);
        if (kind === 0x10) {
          out.push(audioOut(a, payload, len === 320 ? undefined : `${len} B`));
        } else if (kind === 0x00) {
          out.push({ kind: 'hangup' });
        } else {
          out.push({ kind: 'unknown', text: `type ${kind}` });
        }
        pending = Buffer.from(pending.subarray(3 + len));
      }
      return out;
    },
    markAck: () => [],
    clearAck: () => [],
    dtmf: (digit) => [audioSocketFrame(0x03, Buffer.from(digit, 'ascii'))],
    hangup: () => [audioSocketFrame(0x00)],
  };
}
