// Twilio Media Streams wire format (bidirectional <Connect><Stream>), as pure functions
// shared by k6 (twilio-caller.js) and Node. Spec: shared/reference/telephony-wire-formats.md
// and twilio.com/docs/voice/media-streams/websocket-messages. Types: twilio.d.ts.
//
// Inbound to the relay (what Twilio sends, and so what the caller script sends):
//   connected, start, media (base64 µ-law 8 kHz, 160 B = 20 ms), mark (echo), stop.
// Outbound from the relay: media{streamSid, media{payload}}, mark{mark{name}}, clear.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding) of bytes. */
export function base64Encode(bytes) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '=';
  }
  return out;
}

/** Bytes of a base64 string (standard alphabet; padding and whitespace ignored). */
export function base64Decode(text) {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/** G.711 µ-law encoding of one 16-bit linear sample. */
export function linearToMulaw(sample) {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) {
    s = -s;
  }
  if (s > CLIP) {
    s = CLIP;
  }
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) {
    exponent--;
  }
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** µ-law bytes of PCM16 LE at 8 kHz. */
export function pcm16ToMulaw(pcm) {
  const n = pcm.length >> 1;
  const out = new Uint8Array(n);
  const dv = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  for (let i = 0; i < n; i++) {
    out[i] = linearToMulaw(dv.getInt16(i * 2, true));
  }
  return out;
}

/** µ-law silence (0xFF) of one 20 ms frame. */
export const MULAW_SILENCE_FRAME = new Uint8Array(160).fill(0xff);

export function connectedMessage() {
  return JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });
}

export function startMessage(o) {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    start: {
      accountSid: o.accountSid,
      streamSid: o.streamSid,
      callSid: o.callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: o.customParameters || {},
    },
    streamSid: o.streamSid,
  });
}

/** One 20 ms media message; `chunk` counts from 1, `timestampMs` from the stream start. */
export function mediaMessage(streamSid, sequenceNumber, chunk, timestampMs, mulaw) {
  return JSON.stringify({
    event: 'media',
    sequenceNumber: String(sequenceNumber),
    media: {
      track: 'inbound',
      chunk: String(chunk),
      timestamp: String(Math.floor(timestampMs)),
      payload: base64Encode(mulaw),
    },
    streamSid,
  });
}

export function markMessage(streamSid, sequenceNumber, name) {
  return JSON.stringify({
    event: 'mark',
    sequenceNumber: String(sequenceNumber),
    streamSid,
    mark: { name },
  });
}

export function stopMessage(o, sequenceNumber) {
  return JSON.stringify({
    event: 'stop',
    sequenceNumber: String(sequenceNumber),
    streamSid: o.streamSid,
    stop: { accountSid: o.accountSid, callSid: o.callSid },
  });
}

/**
 * Twilio's side of playback: outbound media is queued and played in real time; a mark
 * is echoed once the audio queued before it has played, or at once on `clear`.
 * onRelayMessage(text, now) → { kind, marksToEcho, audioBytes }; due(now) → mark names.
 */
export function createPlayout() {
  let playedUntil = 0;
  let pending = [];
  let mediaMessages = 0;
  let firstMediaAt = null;
  return {
    get mediaMessages() {
      return mediaMessages;
    },
    get firstMediaAt() {
      return firstMediaAt;
    },
    onRelayMessage(text, now) {
      let msg;
      try {
        msg = JSON.parse(text);
      } catch (e) {
        return { kind: 'invalid', marksToEcho: [], audioBytes: 0 };
      }
      if (msg.event === 'media' && msg.media && typeof msg.media.payload === 'string') {
        const bytes = base64Decode(msg.media.payload).length;
        mediaMessages++;
        if (firstMediaAt === null) {
          firstMediaAt = now;
        }
        playedUntil = Math.max(playedUntil, now) + bytes / 8; // µ-law 8 kHz: 8 B per ms
        return { kind: 'media', marksToEcho: [], audioBytes: bytes };
      }
      if (msg.event === 'mark' && msg.mark && typeof msg.mark.name === 'string') {
        pending.push({ name: msg.mark.name, at: Math.max(playedUntil, now) });
        return { kind: 'mark', marksToEcho: [], audioBytes: 0 };
      }
      if (msg.event === 'clear') {
        const names = pending.map((p) => p.name);
        pending = [];
        playedUntil = now;
        return { kind: 'clear', marksToEcho: names, audioBytes: 0 };
      }
      return { kind: String(msg.event), marksToEcho: [], audioBytes: 0 };
    },
    /** Marks whose audio has played by `now` (to echo, in order). */
    due(now) {
      const out = [];
      while (pending.length > 0 && pending[0].at <= now) {
        out.push(pending.shift().name);
      }
      return out;
    },
    resetFirstMedia() {
      firstMediaAt = null;
    },
  };
}
