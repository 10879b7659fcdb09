// The carrier side of a phone call, for Twilio Media Streams, Telnyx, Vonage, Plivo
// <Stream>, Exotel Voicebot and Asterisk chan_websocket: each carrier's wire format, and one
// caller state machine shared by all of them. Pure (no I/O, no timers, no clock reads):
// k6 (carrier-call.js) drives it. Wire formats as the carriers document them (see the
// relay's src/transports/telephony/README.md for the sources).
//
// What every carrier does here, as the real one would:
// - streams the caller's audio in its codec, chunk size and numbering, continuously
//   (speech, then silence while the agent talks);
// - plays the relay's reply audio in real time on a playout clock and acknowledges each
// playback marker (Twilio/Telnyx/Exotel mark echo, Plivo playedStream, Vonage
//   websocket:notify, Asterisk MEDIA_MARK_PROCESSED) once the audio before it has played;
// - on clear drops the queued audio and answers as documented (Twilio and Telnyx echo the
//   pending marks, Vonage websocket:cleared, Plivo clearedAudio);
// - sends DTMF and a hang-up in its own format.
import { base64Encode, pcm16ToMulaw } from './twilio.js';

/**
 * The base64 encoder of media payloads: pure JS here; the k6 scripts install k6's native one
 * (`useBase64Encoder`), since the JS one costs about a millisecond per 20 ms frame in k6's
 * interpreter, more than the calls' real time at tens of VUs.
 * @type {(bytes: Uint8Array) => string}
 */
let encodeBase64 = base64Encode;

/** @param {(bytes: Uint8Array) => string} encode */
export function useBase64Encoder(encode) {
  encodeBase64 = encode;
}

/** µ-law's silence. */
const MULAW_SILENCE_BYTE = 0xff;

/**
 * @typedef {{ callId: string, streamId: string, token: string, next: () => number }} Ctx
 * @typedef {{ kind: 'media', bytes: number } | { kind: 'mark', name: string }
 *   | { kind: 'clear' } | { kind: 'hangup' } | { kind: 'other', what: string }} RelayMsg
 * @typedef {{
 *   name: string,
 *   path: string,
 *   codec: 'mulaw' | 'pcm16',
 *   rate: number,
 *   chunkFrames: number,
 *   pathToken: boolean,
 *   query?: string,
 *   subprotocol?: string,
 *   opening: (c: Ctx) => (string | ArrayBuffer)[],
 *   media: (c: Ctx, bytes: Uint8Array, chunk: number, tsMs: number, seq: number) => string | ArrayBuffer,
 *   parse: (data: string | ArrayBuffer) => RelayMsg,
 *   ack: (c: Ctx, name: string) => string,
 *   clearAck: (c: Ctx, pending: string[]) => string[],
 *   dtmf: (c: Ctx, digit: string) => string,
 *   stop: (c: Ctx) => string | null,
 * }} Carrier
 */

/**
 * @param {string} text
 * @returns {Record<string, any>}
 */
function json(text) {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' ? v : {};
  } catch (e) {
    return {};
  }
}

/**
 * An exact-size ArrayBuffer of bytes (k6 < 1.5 sends a view's whole backing buffer).
 * @param {Uint8Array} bytes
 */
function exact(bytes) {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

/**
 * Base64 media payload of a JSON message, or null.
 * @param {Record<string, any>} m
 */
function payloadBytes(m) {
  const media = m.media;
  const p = media !== null && typeof media === 'object' ? media.payload : undefined;
  if (typeof p !== 'string') {
    return null;
  }
  // The decoded length, without decoding: 3 bytes per 4 characters, less the padding.
  const clean = p.replace(/[^A-Za-z0-9+/]/g, '');
  return Math.floor((clean.length * 3) / 4);
}

/**
 * A JSON text message of the relay, classified by the carrier's event names.
 * @param {string | ArrayBuffer} data
 * @param {{ key: string, media: string, mark: string, markName: (m: Record<string, any>) => unknown, clear: string }} names
 * @returns {RelayMsg}
 */
function parseJsonEvent(data, names) {
  if (typeof data !== 'string') {
    return { kind: 'other', what: 'binary' };
  }
  const m = json(data);
  const event = m[names.key];
  if (event === names.media) {
    const n = payloadBytes(m);
    return n === null
      ? { kind: 'other', what: `${event} without payload` }
      : { kind: 'media', bytes: n };
  }
  const markName = event === names.mark ? names.markName(m) : undefined;
  if (typeof markName === 'string') {
    return { kind: 'mark', name: markName };
  }
  if (event === names.clear) {
    return { kind: 'clear' };
  }
  return { kind: 'other', what: String(event) };
}

/**
 * The JSON "event" carriers that share one shape (Twilio, Telnyx, Exotel): media with
 * media{chunk, timestamp, payload}, mark{name} both ways, clear, dtmf, stop; each with its
 * own key names for the sequence number and the stream id.
 * @param {{ name: string, path: string, query?: string, codec: 'mulaw' | 'pcm16',
 *   chunkFrames: number, seqKey: string, sidKey: string, track: boolean,
 *   opening: (c: Ctx) => string[], dtmf: (digit: string) => Record<string, unknown>,
 *   stop: (c: Ctx) => Record<string, unknown>, clearEchoesMarks: boolean }} o
 * @returns {Carrier}
 */
function eventCarrier(o) {
  /** @type {(c: Ctx, seq: number | null, body: Record<string, unknown>) => string} */
  const msg = (c, seq, body) => {
    const event = body.event;
    return JSON.stringify({
      event,
      [o.seqKey]: String(seq === null ? c.next() : seq),
      ...body,
      [o.sidKey]: c.streamId,
    });
  };
  /** @type {(c: Ctx, name: string) => string} */
  const ack = (c, name) => msg(c, null, { event: 'mark', mark: { name } });
  return {
    name: o.name,
    path: o.path,
    ...(o.query === undefined ? {} : { query: o.query }),
    codec: o.codec,
    rate: 8000,
    chunkFrames: o.chunkFrames,
    pathToken: false,
    opening: o.opening,
    media: (c, bytes, chunk, tsMs, seq) =>
      msg(c, seq, {
        event: 'media',
        media: {
          ...(o.track ? { track: 'inbound' } : {}),
          chunk: String(chunk),
          timestamp: String(Math.floor(tsMs)),
          payload: encodeBase64(bytes),
        },
      }),
    parse: (data) =>
      parseJsonEvent(data, {
        key: 'event',
        media: 'media',
        mark: 'mark',
        markName: (m) => m.mark && m.mark.name,
        clear: 'clear',
      }),
    ack,
    // Twilio and Telnyx echo every pending mark when its audio is cleared.
    clearAck: (c, pending) => (o.clearEchoesMarks ? pending.map((name) => ack(c, name)) : []),
    dtmf: (c, digit) => msg(c, null, { event: 'dtmf', ...o.dtmf(digit) }),
    stop: (c) => msg(c, null, { event: 'stop', ...o.stop(c) }),
  };
}

/** Twilio Media Streams (bidirectional <Connect><Stream>): µ-law 8 kHz, 20 ms. */
const twilio = eventCarrier({
  name: 'twilio',
  path: '/v1/telephony/twilio',
  codec: 'mulaw',
  chunkFrames: 1,
  seqKey: 'sequenceNumber',
  sidKey: 'streamSid',
  track: true,
  clearEchoesMarks: true,
  opening: (c) => [
    JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
    JSON.stringify({
      event: 'start',
      sequenceNumber: String(c.next()),
      start: {
        accountSid: `AC${c.callId}`,
        streamSid: c.streamId,
        callSid: `CA${c.callId}`,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { token: c.token },
      },
      streamSid: c.streamId,
    }),
  ],
  dtmf: (digit) => ({ dtmf: { track: 'inbound_track', digit } }),
  stop: (c) => ({ stop: { accountSid: `AC${c.callId}`, callSid: `CA${c.callId}` } }),
});

/** Telnyx media streaming (bidirectional RTP mode): PCMU 8 kHz, 20 ms; order not guaranteed. */
const telnyx = eventCarrier({
  name: 'telnyx',
  path: '/v1/telephony/telnyx',
  codec: 'mulaw',
  chunkFrames: 1,
  seqKey: 'sequence_number',
  sidKey: 'stream_id',
  track: true,
  clearEchoesMarks: true,
  opening: (c) => [
    JSON.stringify({ event: 'connected', version: '1.0.0' }),
    JSON.stringify({
      event: 'start',
      sequence_number: String(c.next()),
      start: {
        user_id: 'loadtest',
        call_control_id: `v3:${c.callId}`,
        call_session_id: c.callId,
        from: '+15550000001',
        to: '+15550000002',
        media_format: { encoding: 'PCMU', sample_rate: 8000, channels: 1 },
        custom_parameters: { token: c.token },
      },
      stream_id: c.streamId,
    }),
  ],
  dtmf: (digit) => ({ dtmf: { digit } }),
  stop: (c) => ({ stop: { user_id: 'loadtest', call_control_id: `v3:${c.callId}` } }),
});

/** Exotel Voicebot: snake_case JSON, base64 PCM16 LE 8 kHz, inbound chunks of 100 ms. */
const exotel = eventCarrier({
  name: 'exotel',
  path: '/v1/telephony/exotel',
  query: '?sample-rate=8000',
  codec: 'pcm16',
  chunkFrames: 5,
  seqKey: 'sequence_number',
  sidKey: 'stream_sid',
  track: false,
  // Exotel documents no answer to clear.
  clearEchoesMarks: false,
  opening: (c) => [
    JSON.stringify({ event: 'connected' }),
    JSON.stringify({
      event: 'start',
      sequence_number: String(c.next()),
      stream_sid: c.streamId,
      start: {
        stream_sid: c.streamId,
        call_sid: c.callId,
        account_sid: 'loadtest',
        from: '+910000000001',
        to: '+910000000002',
        custom_parameters: { token: c.token },
        media_format: { encoding: 'base64', sample_rate: '8000', bit_rate: '128kbps' },
      },
    }),
  ],
  dtmf: (digit) => ({ dtmf: { digit, duration: '120' } }),
  stop: (c) => ({ stop: { call_sid: c.callId, reason: 'callended' } }),
});

/** Vonage Voice API WebSockets: a JSON first frame, then binary L16 8 kHz, 20 ms. */
const vonage = {
  name: 'vonage',
  path: '/v1/telephony/vonage',
  codec: 'pcm16',
  rate: 8000,
  chunkFrames: 1,
  pathToken: true,
  /** @param {Ctx} c */
  opening: (c) => [
    JSON.stringify({
      event: 'websocket:connected',
      'content-type': 'audio/l16;rate=8000',
      call: c.callId,
    }),
  ],
  /** @type {Carrier['media']} */
  media: (_c, bytes) => exact(bytes),
  /** @type {Carrier['parse']} */
  parse: (data) => {
    if (typeof data !== 'string') {
      return { kind: 'media', bytes: data.byteLength };
    }
    const m = json(data);
    if (m.action === 'notify') {
      const p = m.payload;
      return p !== null && typeof p === 'object' && typeof p.name === 'string'
        ? { kind: 'mark', name: p.name }
        : { kind: 'other', what: 'notify without a name' };
    }
    if (m.action === 'clear') {
      return { kind: 'clear' };
    }
    return { kind: 'other', what: String(m.action) };
  },
  /** websocket:notify once the audio queued before the notify has played. */
  /** @type {Carrier['ack']} */
  ack: (_c, name) => JSON.stringify({ event: 'websocket:notify', payload: { name } }),
  /** @type {Carrier['clearAck']} */
  clearAck: () => [JSON.stringify({ event: 'websocket:cleared' })],
  /** @type {Carrier['dtmf']} */
  dtmf: (_c, digit) => JSON.stringify({ event: 'websocket:dtmf', digit, duration: 250 }),
  /** Vonage ends a call by closing the socket. */
  stop: () => null,
};

/** Plivo <Stream bidirectional>: L16 8 kHz (the default contentType), 20 ms. */
const plivo = {
  name: 'plivo',
  path: '/v1/telephony/plivo',
  codec: 'pcm16',
  rate: 8000,
  chunkFrames: 1,
  pathToken: true,
  /** @param {Ctx} c */
  opening: (c) => [
    JSON.stringify({
      event: 'start',
      sequenceNumber: c.next(),
      start: {
        callId: c.callId,
        streamId: c.streamId,
        accountId: 'MA_LOADTEST',
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-l16', sampleRate: 8000 },
      },
      extra_headers: `call=${c.callId}`,
    }),
  ],
  /** @type {Carrier['media']} */
  media: (c, bytes, chunk, tsMs, seq) =>
    JSON.stringify({
      event: 'media',
      sequenceNumber: seq,
      streamId: c.streamId,
      media: {
        track: 'inbound',
        timestamp: String(Math.floor(tsMs)),
        chunk,
        payload: encodeBase64(bytes),
      },
    }),
  /** @type {Carrier['parse']} */
  parse: (data) =>
    parseJsonEvent(data, {
      key: 'event',
      media: 'playAudio',
      mark: 'checkpoint',
      markName: (m) => m.name,
      clear: 'clearAudio',
    }),
  /** @type {Carrier['ack']} */
  ack: (c, name) =>
    JSON.stringify({ event: 'playedStream', sequenceNumber: c.next(), streamId: c.streamId, name }),
  /** @type {Carrier['clearAck']} */
  clearAck: (c) => [
    JSON.stringify({ event: 'clearedAudio', sequenceNumber: c.next(), streamId: c.streamId }),
  ],
  /** @type {Carrier['dtmf']} */
  dtmf: (c, digit) =>
    JSON.stringify({
      event: 'dtmf',
      sequenceNumber: c.next(),
      streamId: c.streamId,
      dtmf: { track: 'inbound', digit },
    }),
  /** @type {Carrier['stop']} */
  stop: (c) => JSON.stringify({ event: 'stop', sequenceNumber: c.next(), streamId: c.streamId }),
};

/**
 * Asterisk chan_websocket (22.6+): binary µ-law 160 B / 20 ms, plain-text control
 * (MEDIA_START, MEDIA_MARK_PROCESSED, DTMF_END), subprotocol "media".
 */
const asterisk = {
  name: 'asterisk',
  path: '/v1/telephony/asterisk',
  codec: 'mulaw',
  rate: 8000,
  chunkFrames: 1,
  pathToken: true,
  subprotocol: 'media',
  /** @param {Ctx} c */
  opening: (c) => [
    `MEDIA_START connection_id:${c.streamId} channel:WebSocket/loadtest-${c.callId} channel_id:${c.callId} format:ulaw optimal_frame_size:160 ptime:20`,
  ],
  /** @type {Carrier['media']} */
  media: (_c, bytes) => exact(bytes),
  /** @type {Carrier['parse']} */
  parse: (data) => {
    if (typeof data !== 'string') {
      return { kind: 'media', bytes: data.byteLength };
    }
    const words = data.trim().split(/\s+/);
    const cmd = words[0] || '';
    if (cmd === 'MARK_MEDIA') {
      const param = words.slice(1).find((w) => w.indexOf('correlation_id:') === 0);
      const id = param === undefined ? words[1] : param.slice('correlation_id:'.length);
      return id === undefined
        ? { kind: 'other', what: 'MARK_MEDIA without id' }
        : { kind: 'mark', name: id };
    }
    if (cmd === 'FLUSH_MEDIA') {
      return { kind: 'clear' };
    }
    if (cmd === 'HANGUP') {
      return { kind: 'hangup' };
    }
    return { kind: 'other', what: cmd };
  },
  /** @type {Carrier['ack']} */
  ack: (c, name) => `MEDIA_MARK_PROCESSED connection_id:${c.streamId} correlation_id:${name}`,
  /** Asterisk answers FLUSH_MEDIA with nothing; its queued marks are dropped. */
  clearAck: () => [],
  /** @type {Carrier['dtmf']} */
  dtmf: (c, digit) => `DTMF_END connection_id:${c.streamId} digit:${digit}`,
  /** Asterisk hangs up by closing the socket. */
  stop: () => null,
};

/** @type {Record<string, Carrier>} */
export const CARRIERS = {
  twilio,
  telnyx,
  vonage: /** @type {Carrier} */ (vonage),
  plivo: /** @type {Carrier} */ (plivo),
  exotel,
  asterisk: /** @type {Carrier} */ (asterisk),
};

/**
 * The carrier's codec bytes of PCM16 LE speech at its rate.
 * @param {Carrier} carrier
 * @param {Uint8Array} pcm8k
 */
export function encodeSpeech(carrier, pcm8k) {
  return carrier.codec === 'mulaw' ? pcm16ToMulaw(pcm8k) : pcm8k;
}

/**
 * Codec bytes per ms of the carrier's audio.
 * @param {Carrier} carrier
 */
export function bytesPerMs(carrier) {
  return ((carrier.codec === 'mulaw' ? 1 : 2) * carrier.rate) / 1000;
}

/**
 * One 20 ms frame of codec silence.
 * @param {Carrier} carrier
 */
export function silenceFrame(carrier) {
  const n = bytesPerMs(carrier) * 20;
  const out = new Uint8Array(n);
  if (carrier.codec === 'mulaw') {
    out.fill(MULAW_SILENCE_BYTE);
  }
  return out;
}

/**
 * @typedef {{ index: number, speechEndMs: number | null, firstAudioMs: number | null,
 *   firstPlayedMs: number | null, playedMs: number, bargedIn: boolean, cleared: boolean,
 *   complete: boolean, unanswered: boolean }} CarrierTurn
 */

/**
 * The caller's side of one call, over any carrier. Drive it with:
 *   open(now)            → messages to send once the socket is open (connected/start)
 *   capture(now)         → frames captured by now: [{ bytes, index, tsMs }] (one per 20 ms)
 *   mediaMessages(group) → the carrier message(s) for a group of captured frames
 *   onMessage(data, now) → messages to send back (acks)
 *   poll(now)            → acks due by now (marks whose audio has played)
 *   finish()             → DTMF (optional) and the carrier's hang-up
 *
 * A turn is over once its reply has played and nothing arrived for `replyIdleMs`, or, when
 * no reply audio came within `turnTimeoutMs` of its speech end (the relay dropped the turn:
 * a phone caller gets no error event), it is left `unanswered` and the caller speaks the next
 * turn anyway, as a person would: every call says all of its `turns` utterances.
 * @param {{ carrier: Carrier, ctx: Ctx, speech: Uint8Array, turns: number,
 *   bargeInMs?: number | null, replyIdleMs?: number, leadMs?: number, gapMs?: number,
 *   turnTimeoutMs?: number }} o
 */
export function createCarrierCall(o) {
  const carrier = o.carrier;
  const c = o.ctx;
  const bpm = bytesPerMs(carrier);
  const frameBytes = bpm * 20;
  const quiet = silenceFrame(carrier);
  const replyIdleMs = o.replyIdleMs === undefined ? 800 : o.replyIdleMs;
  const leadMs = o.leadMs === undefined ? 200 : o.leadMs;
  const gapMs = o.gapMs === undefined ? 300 : o.gapMs;
  const turnTimeoutMs = o.turnTimeoutMs === undefined ? 10000 : o.turnTimeoutMs;
  const bargeInMs = o.bargeInMs === undefined ? null : o.bargeInMs;
  /** @type {CarrierTurn[]} */
  const turns = [];
  /** @type {CarrierTurn | null} */
  let turn = null;
  let t0 = -1;
  let captured = 0;
  let speechOff = -1; // -1: not speaking
  let nextTurnAt = 0;
  let lastMediaAt = 0;
  // Playout: the queued reply audio ends at queueEnd; marks wait for the audio before them.
  let queueEnd = 0;
  /** @type {{ name: string, at: number }[]} */
  let pending = [];
  let paused = false;
  const stats = {
    mediaIn: 0,
    marksAcked: 0,
    clearedMarks: 0,
    clears: 0,
    dtmfSent: 0,
    other: 0,
    hangup: false,
  };

  function startTurn() {
    turn = {
      index: turns.length + 1,
      speechEndMs: null,
      firstAudioMs: null,
      firstPlayedMs: null,
      playedMs: 0,
      bargedIn: false,
      cleared: false,
      complete: false,
      unanswered: false,
    };
    turns.push(turn);
    speechOff = 0;
  }

  /** @param {number} now */
  function advance(now) {
    if (turn === null || turn.complete) {
      if (turns.length < o.turns && now >= nextTurnAt && speechOff < 0) {
        startTurn();
      }
      return;
    }
    if (turn.speechEndMs === null) {
      return;
    }
    if (turn.firstAudioMs === null) {
      if (now - turn.speechEndMs >= turnTimeoutMs) {
        turn.unanswered = true;
        turn.complete = true;
        nextTurnAt = now + gapMs;
      }
      return;
    }
    // Reply audio played so far (playout runs from the first frame's start).
    if (!paused && turn.firstPlayedMs !== null) {
      const started = turn.speechEndMs + turn.firstPlayedMs;
      turn.playedMs = Math.max(0, Math.min(now, queueEnd) - started);
    }
    if (
      bargeInMs !== null &&
      turn.index < o.turns &&
      !turn.bargedIn &&
      turn.playedMs >= bargeInMs
    ) {
      // Talk over the agent; the relay should clear the carrier's playback.
      turn.bargedIn = true;
      paused = true;
      turn.complete = true;
      startTurn();
      return;
    }
    if (!turn.bargedIn && now - lastMediaAt > replyIdleMs && now >= queueEnd) {
      turn.complete = true;
      nextTurnAt = now + gapMs;
    }
  }

  return {
    turns,
    stats,
    get done() {
      return turns.length >= o.turns && turn !== null && turn.complete && speechOff < 0;
    },
    /** @param {number} now */
    open(now) {
      t0 = now;
      nextTurnAt = now + leadMs;
      return carrier.opening(c);
    },
    /**
     * Frames whose 20 ms of capture ended by now.
     * @param {number} now
     * @returns {{ bytes: Uint8Array, index: number, tsMs: number, seq: number }[]}
     */
    capture(now) {
      advance(now);
      const out = [];
      const due = Math.floor((now - t0) / 20);
      while (captured < due) {
        let bytes = quiet;
        if (speechOff >= 0 && turn !== null) {
          bytes = new Uint8Array(frameBytes);
          if (carrier.codec === 'mulaw') {
            bytes.fill(MULAW_SILENCE_BYTE);
          }
          bytes.set(
            o.speech.subarray(speechOff, Math.min(o.speech.length, speechOff + frameBytes)),
          );
          speechOff += frameBytes;
          if (speechOff >= o.speech.length) {
            speechOff = -1;
            turn.speechEndMs = now;
          }
        }
        out.push({ bytes, index: captured, tsMs: captured * 20, seq: c.next() });
        captured++;
      }
      return out;
    },
    /**
     * The carrier message(s) for frames sent together (one chunk per `perChunk` frames).
     * @param {{ bytes: Uint8Array, index: number, tsMs: number, seq: number }[]} group
     * @param {number} perChunk
     */
    mediaMessages(group, perChunk) {
      if (group.length === 0) {
        return [];
      }
      const first = group[0];
      const all = new Uint8Array(group.length * frameBytes);
      group.forEach((f, i) => all.set(f.bytes, i * frameBytes));
      const chunk = Math.floor(first.index / perChunk) + 1;
      return [carrier.media(c, all, chunk, first.tsMs, first.seq)];
    },
    /**
     * A message from the relay; returns what to send back at once.
     * @param {string | ArrayBuffer} data
     * @param {number} now
     * @returns {string[]}
     */
    onMessage(data, now) {
      const m = carrier.parse(data);
      if (m.kind === 'media') {
        stats.mediaIn++;
        lastMediaAt = now;
        if (paused) {
          return [];
        }
        const start = Math.max(queueEnd, now);
        queueEnd = start + m.bytes / bpm;
        if (
          turn !== null &&
          turn.speechEndMs !== null &&
          speechOff < 0 &&
          turn.firstAudioMs === null
        ) {
          turn.firstAudioMs = now - turn.speechEndMs;
          turn.firstPlayedMs = start - turn.speechEndMs;
        }
        return [];
      }
      if (m.kind === 'mark') {
        pending.push({ name: m.name, at: Math.max(queueEnd, now) });
        return [];
      }
      if (m.kind === 'clear') {
        stats.clears++;
        const names = pending.map((p) => p.name);
        pending = [];
        queueEnd = now;
        paused = false;
        for (let i = turns.length - 1; i >= 0; i--) {
          if (turns[i].bargedIn) {
            turns[i].cleared = true;
            break;
          }
        }
        const out = carrier.clearAck(c, names);
        stats.marksAcked +=
          carrier.name === 'twilio' || carrier.name === 'telnyx' ? names.length : 0;
        return out;
      }
      if (m.kind === 'hangup') {
        stats.hangup = true;
        return [];
      }
      stats.other++;
      return [];
    },
    /**
     * Acks of marks whose audio has played by now (none while paused by a barge-in).
     * @param {number} now
     * @returns {string[]}
     */
    poll(now) {
      advance(now);
      /** @type {string[]} */
      const out = [];
      while (!paused && pending.length > 0 && pending[0].at <= now) {
        const p = pending.shift();
        if (p !== undefined) {
          out.push(carrier.ack(c, p.name));
          stats.marksAcked++;
        }
      }
      return out;
    },
    /**
     * DTMF (when given) and the carrier's hang-up message.
     * @param {string} dtmf
     * @returns {string[]}
     */
    finish(dtmf) {
      /** @type {string[]} */
      const out = [];
      if (dtmf !== '') {
        for (const d of dtmf.split('')) {
          out.push(carrier.dtmf(c, d));
          stats.dtmfSent++;
        }
      }
      const stop = carrier.stop(c);
      if (stop !== null) {
        out.push(stop);
      }
      return out;
    },
  };
}
