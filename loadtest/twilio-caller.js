// A Twilio Media Streams caller per iteration: plays Twilio's side of a bidirectional
// <Connect><Stream> against the relay's carrier path /v1/telephony/twilio (needs the
// telephony ingress module with a twilio carrier configured; see loadtest/README.md).
// Wire format: shared/reference/telephony-wire-formats.md (connected, start, media with
// base64 µ-law 8 kHz 160 B / 20 ms, mark echoes, stop).
//
//   k6 run -e TWILIO_AUTH_TOKEN=... loadtest/twilio-caller.js
//
// Environment: TWILIO_URL (ws://127.0.0.1:8080/v1/telephony/twilio), TWILIO_AUTH_TOKEN
// (the relay's carriers.twilio.authToken; signs the upgrade as X-Twilio-Signature),
// TWILIO_SIGNED_BASE (the relay's carriers.twilio.publicBaseUrl; default wss://<host of
// TWILIO_URL>), CREDENTIAL (start: the relay token travels as customParameters.token, like
// <Parameter name="token">; path: appended to the URL path), TOKEN | ADMIN_KEY (lib/k6-env.js),
// TURNS (2), SPEECH_MS (1200), VUS (5), DURATION (1m), FIRST_MEDIA_P95_MS (2000).
import { check } from 'k6';
import crypto from 'k6/crypto';
import { Counter, Rate, Trend } from 'k6/metrics';
import { clearInterval, setInterval } from 'k6/timers';
import { clientToken, env, websockets } from './lib/k6-env.js';
import { speechPcm } from './lib/protocol.js';
import {
  MULAW_SILENCE_FRAME,
  connectedMessage,
  createPlayout,
  markMessage,
  mediaMessage,
  pcm16ToMulaw,
  startMessage,
  stopMessage,
} from './lib/twilio.js';

const TWILIO_URL = env('TWILIO_URL', 'ws://127.0.0.1:8080/v1/telephony/twilio');
const AUTH_TOKEN = env('TWILIO_AUTH_TOKEN', '');
const CREDENTIAL = env('CREDENTIAL', 'start');
const TURNS = Number(env('TURNS', '2'));
const SPEECH = pcm16ToMulaw(speechPcm(8000, Number(env('SPEECH_MS', '1200'))));
/** Relay audio stops for this long → the reply is over. */
const REPLY_IDLE_MS = 800;

const firstMedia = new Trend('twilio_first_media', true);
const callOk = new Rate('twilio_call_ok');
const marksEchoed = new Counter('twilio_marks_echoed');
const mediaIn = new Counter('twilio_media_in');
const turnsCompleted = new Counter('twilio_turns_completed');

export const options = {
  scenarios: {
    calls: {
      executor: 'constant-vus',
      vus: Number(env('VUS', '5')),
      duration: env('DURATION', '1m'),
      gracefulStop: '30s',
    },
  },
  thresholds: {
    twilio_first_media: [`p(95)<${env('FIRST_MEDIA_P95_MS', '2000')}`],
    twilio_call_ok: ['rate>=0.95'],
    ws_connecting: ['p(95)<1000'],
  },
};

export function setup() {
  if (AUTH_TOKEN === '') {
    throw new Error("set TWILIO_AUTH_TOKEN to the relay's carriers.twilio.authToken");
  }
  return { token: clientToken() };
}

/**
 * Twilio's X-Twilio-Signature of a WebSocket upgrade: base64(HMAC-SHA1(authToken, url)).
 * @param {string} url
 */
function signature(url) {
  return crypto.hmac('sha1', AUTH_TOKEN, url, 'base64');
}

/** @param {{ token: string }} data */
export default function (data) {
  const id = `${__VU}-${__ITER}-${Date.now()}`;
  const sids = { accountSid: `AC${id}`, callSid: `CA${id}`, streamSid: `MZ${id}` };
  const url =
    CREDENTIAL === 'path' ? `${TWILIO_URL}/${encodeURIComponent(data.token)}` : TWILIO_URL;
  const m = /^wss?:\/\/([^/]+)(\/.*)$/.exec(url);
  const signedBase = env('TWILIO_SIGNED_BASE', m === null ? '' : `wss://${m[1]}`);
  const signed = `${signedBase.replace(/\/+$/, '')}${m === null ? '' : m[2]}`;
  const socket = new websockets.WebSocket(url, null, {
    headers: { 'X-Twilio-Signature': signature(signed) },
  });
  const playout = createPlayout();
  let seq = 1;
  let chunk = 0;
  let started = 0;
  let turnsDone = 0;
  let speechOff = 0;
  /** Per turn: set when its last speech frame is sent, cleared when its reply is over. */
  let awaitingReply = false;
  let speechEndAt = 0;
  let lastMediaAt = 0;
  let sawReply = false;
  let timer = 0;
  let ok = false;
  const deadline = Date.now() + 15000 + TURNS * 12000;

  /** @type {(payload: Uint8Array, now: number) => void} */
  const sendMedia = (payload, now) => {
    chunk++;
    socket.send(mediaMessage(sids.streamSid, ++seq, chunk, now - started, payload));
  };

  socket.onopen = () => {
    started = Date.now();
    socket.send(connectedMessage());
    /** @type {Record<string, string>} */
    const customParameters = CREDENTIAL === 'path' ? {} : { token: data.token };
    socket.send(startMessage({ ...sids, customParameters }));
    timer = setInterval(() => {
      const now = Date.now();
      for (const name of playout.due(now)) {
        socket.send(markMessage(sids.streamSid, ++seq, name));
        marksEchoed.add(1);
      }
      // Twilio streams continuously: caller speech, then silence while the agent talks.
      const due = Math.floor((now - started) / 20);
      while (chunk < due) {
        if (speechOff < SPEECH.length) {
          sendMedia(SPEECH.subarray(speechOff, speechOff + 160), now);
          speechOff += 160;
          if (speechOff >= SPEECH.length) {
            speechEndAt = now;
            awaitingReply = true;
            sawReply = false;
          }
        } else {
          sendMedia(MULAW_SILENCE_FRAME, now);
        }
      }
      // A turn is complete once its reply audio has started and then stopped.
      if (awaitingReply && sawReply && now - lastMediaAt > REPLY_IDLE_MS) {
        awaitingReply = false;
        turnsDone++;
        if (turnsDone < TURNS) {
          speechOff = 0; // the next turn's utterance
        }
      }
      if (turnsDone >= TURNS || now > deadline) {
        ok = turnsDone >= TURNS;
        clearInterval(timer);
        socket.send(stopMessage(sids, ++seq));
        socket.close();
      }
    }, 20);
  };
  socket.onmessage = (ev) => {
    if (ev === undefined || typeof ev.data !== 'string') {
      return;
    }
    const now = Date.now();
    const u = playout.onRelayMessage(ev.data, now);
    if (u.kind === 'media') {
      mediaIn.add(1);
      lastMediaAt = now;
      if (awaitingReply && !sawReply) {
        sawReply = true;
        firstMedia.add(now - speechEndAt);
      }
    }
    for (const name of u.marksToEcho) {
      socket.send(markMessage(sids.streamSid, ++seq, name));
      marksEchoed.add(1);
    }
  };
  socket.onclose = () => {
    clearInterval(timer);
    turnsCompleted.add(turnsDone);
    callOk.add(ok);
    check(ok, { 'every turn got reply audio': (x) => x });
  };
}
