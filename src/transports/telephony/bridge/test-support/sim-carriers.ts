/**
 * Simulated carriers for end-to-end tests: each speaks one carrier's wire protocol from the
 * carrier's side (hand-written from the spec and the docs, independent of the serializers),
 * over a real WebSocket or TCP socket. A `SimCall` streams microphone audio in real time in
 * the carrier's codec and chunking, "plays" reply audio on a playout clock (with a small
 * carrier-side buffer), acknowledges marks when their audio has played, and answers clears
 * the way the carrier does (Twilio and Telnyx echo the marks still pending).
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../../media/codecs/g711.js';
import { silence, synthVoice } from '../../../../media/pcm.js';
import { audioSocketFrame } from '../../audiosocket.js';
import { twilioSignature } from '../../auth.js';
import type { CarrierName, WireMessage } from '../../types.js';

export type SimEncoding = 'pcm16' | 'pcm16be' | 'mulaw' | 'alaw';

export interface SimAudio {
  encoding: SimEncoding;
  rate: number;
  channels: number;
}

export type Outbound =
  | { kind: 'audio'; pcm: Buffer; rate: number; wireBytes: number; note?: string }
  | { kind: 'mark'; name: string }
  | { kind: 'clear' }
  | { kind: 'hangup' }
  | { kind: 'unknown'; text: string };

export interface Link {
  send(m: WireMessage): void;
  close(): void;
  readonly closed: Promise<number>;
  readonly isOpen: boolean;
  onMessage: (data: Buffer, isBinary: boolean) => void;
}

export interface Target {
  /** host:port of the media listener. */
  media: string;
  audioSocketPort?: number | undefined;
}

export interface CarrierProtocol {
  readonly carrier: CarrierName;
  /** Identifies the call on the relay side (call id or a `call` custom parameter). */
  readonly callKey: string;
  readonly input: SimAudio & { chunkMs: number };
  readonly output: SimAudio;
  readonly caps: { marks: boolean; clear: boolean; dtmf: boolean };
  connect(t: Target): Promise<Link>;
  opening(): WireMessage[];
  media(payload: Buffer, index: number, tsMs: number): WireMessage;
  parse(data: Buffer, isBinary: boolean): Outbound[];
  markAck(name: string): WireMessage[];
  clearAck(pending: string[]): WireMessage[];
  dtmf(digit: string): WireMessage[];
  /** What the carrier sends when the caller hangs up (then it closes the socket). */
  hangup(): WireMessage[];
}

// ---- codecs (carrier side) -------------------------------------------------------------

export function encodeSim(a: SimAudio, pcm: Buffer): Buffer {
  let mono: Buffer;
  switch (a.encoding) {
    case 'mulaw':
      mono = mulawEncode(pcm);
      break;
    case 'alaw':
      mono = alawEncode(pcm);
      break;
    case 'pcm16':
      mono = Buffer.from(pcm);
      break;
    case 'pcm16be':
      mono = Buffer.from(pcm).swap16();
      break;
  }
  if (a.channels === 1) {
    return mono;
  }
  const w = a.encoding === 'mulaw' || a.encoding === 'alaw' ? 1 : 2;
  const out = Buffer.alloc(mono.length * a.channels);
  for (let i = 0; i < mono.length / w; i++) {
    for (let c = 0; c < a.channels; c++) {
      // The caller on channel 0; the other leg silent.
      if (c === 0) {
        mono.copy(out, (i * a.channels + c) * w, i * w, (i + 1) * w);
      } else if (w === 1) {
        out[(i * a.channels + c) * w] = a.encoding === 'mulaw' ? 0xff : 0xd5;
      }
    }
  }
  return out;
}

export function decodeSim(a: SimAudio, bytes: Buffer): Buffer {
  switch (a.encoding) {
    case 'mulaw':
      return mulawDecode(bytes);
    case 'alaw':
      return alawDecode(bytes);
    case 'pcm16':
      return Buffer.from(bytes);
    case 'pcm16be':
      return Buffer.from(bytes).swap16();
  }
}

function bytesPerMs(a: SimAudio): number {
  const w = a.encoding === 'mulaw' || a.encoding === 'alaw' ? 1 : 2;
  return (a.rate / 1000) * w * a.channels;
}

// ---- links -----------------------------------------------------------------------------

export class UpgradeRefusedError extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with ${status}`);
  }
}

export function wsLink(
  url: string,
  o: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<Link> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, o.protocols ?? [], { headers: o.headers ?? {} });
    let onMessage: Link['onMessage'] = () => undefined;
    const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
    const link: Link = {
      send: (m) => {
        if (ws.readyState === ws.OPEN) {
          ws.send(m, { binary: typeof m !== 'string' });
        }
      },
      close: () => ws.close(1000),
      closed,
      get isOpen() {
        return ws.readyState === ws.OPEN;
      },
      get onMessage() {
        return onMessage;
      },
      set onMessage(f) {
        onMessage = f;
      },
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const b = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      onMessage(b, isBinary);
    });
    ws.once('open', () => resolve(link));
    ws.once('unexpected-response', (_req, res) => {
      reject(new UpgradeRefusedError(res.statusCode ?? 0));
      res.resume();
    });
    ws.once('error', (err) => reject(err));
  });
}

export function tcpLink(port: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    const sock: Socket = tcpConnect(port, '127.0.0.1');
    let onMessage: Link['onMessage'] = () => undefined;
    let open = false;
    const closed = new Promise<number>((r) => sock.once('close', () => r(1000)));
    sock.on('error', () => undefined);
    const link: Link = {
      send: (m) => {
        if (open) {
          sock.write(typeof m === 'string' ? Buffer.from(m) : m);
        }
      },
      close: () => {
        open = false;
        sock.end();
      },
      closed,
      get isOpen() {
        return open && !sock.destroyed;
      },
      get onMessage() {
        return onMessage;
      },
      set onMessage(f) {
        onMessage = f;
      },
    };
    sock.on('data', (d: Buffer) => onMessage(d, true));
    sock.once('connect', () => {
      open = true;
      sock.setNoDelay(true);
      resolve(link);
    });
    sock.once('error', reject);
  });
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function json(v: unknown): string {
  return JSON.stringify(v);
}

function textOf(data: Buffer): string {
  return data.toString('utf8');
}

function parseJson(data: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(textOf(data));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function str(o: unknown, ...path: string[]): string | undefined {
  let cur: unknown = o;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === 'string' ? cur : undefined;
}

function num(o: unknown, ...path: string[]): number | undefined {
  let cur: unknown = o;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === 'number' ? cur : undefined;
}

function audioOut(a: SimAudio, bytes: Buffer, note?: string): Outbound {
  return {
    kind: 'audio',
    pcm: decodeSim({ ...a, channels: 1 }, bytes),
    rate: a.rate,
    wireBytes: bytes.length,
    ...(note === undefined ? {} : { note }),
  };
}

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
