// A k6 script for one carrier's calls (carrier-call.js, twilio-caller.js): options,
// setup, the VU function and the report, around lib/carriers.js. k6 only.
import { check } from 'k6';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import { Counter, Rate, Trend } from 'k6/metrics';
import { clearInterval, setInterval } from 'k6/timers';
import { CARRIERS, createCarrierCall, encodeSpeech, useBase64Encoder } from './carriers.js';
import { createImpairment } from './impair.js';
import {
  arrayBufferMode,
  arrive,
  callScenario,
  clientToken,
  env,
  RELAY_URL,
  websockets,
} from './k6-env.js';
import { CLIENT_V2V_P95_MS, DEFAULT_THRESHOLDS, speechPcm } from './protocol.js';
import { SUMMARY_TREND_STATS, summaryReport } from './report.js';

/**
 * @param {string} defaultCarrier
 */
export function carrierScript(defaultCarrier) {
  // k6's native base64 for media payloads (an exact-size copy: a view's buffer may be larger).
  useBase64Encoder((bytes) => {
    const buf = new ArrayBuffer(bytes.length);
    new Uint8Array(buf).set(bytes);
    return encoding.b64encode(buf, 'std');
  });
  const name = env('CARRIER', defaultCarrier);
  const carrier = CARRIERS[name];
  if (carrier === undefined) {
    throw new Error(`unknown CARRIER "${name}" (one of: ${Object.keys(CARRIERS).join(', ')})`);
  }
  const TURNS = Number(env('TURNS', '2'));
  const SPEECH = encodeSpeech(carrier, speechPcm(carrier.rate, Number(env('SPEECH_MS', '1200'))));
  const IMPAIR = env('IMPAIR', 'inOrder');
  const SEED = Number(env('SEED', '1'));
  // One timer per VU: 20 ms (the frame clock) unless an impairment schedules finer sends.
  const TICK_MS = IMPAIR === 'inOrder' ? 20 : 10;
  const BARGE_IN_MS = env('BARGE_IN_MS', '') === '' ? null : Number(env('BARGE_IN_MS', '0'));
  const DTMF = env('DTMF', '1');
  const BASE = env('CARRIER_URL', `${RELAY_URL.replace(/\/+$/, '')}${carrier.path}`);
  createImpairment(IMPAIR, SEED); // an unknown profile fails before any VU starts

  const timeToFirstAudio = new Trend('time_to_first_audio', true);
  const clientV2v = new Trend('voice_to_voice_client', true);
  const callOk = new Rate('call_ok');
  const turnsCompleted = new Counter('turns_completed');
  const turnsInterrupted = new Counter('turns_interrupted');
  const turnsUnanswered = new Counter('turns_unanswered');
  const marksAcked = new Counter('marks_acked');
  const mediaIn = new Counter('media_in');
  const unexpected = new Counter('carrier_unexpected_messages');

  /** @type {Record<string, string[]>} */
  const thresholds = {
    time_to_first_audio: [`p(95)<${env('FIRST_AUDIO_P95_MS', '2000')}`],
    voice_to_voice_client: [`p(95)<=${env('CLIENT_V2V_P95_MS', String(CLIENT_V2V_P95_MS))}`],
    call_ok: [`rate>=${env('CALL_OK_RATE', String(DEFAULT_THRESHOLDS.callOkRate))}`],
    ws_connecting: ['p(95)<1000'],
    // Every reply carries playback markers; a run without one acked is broken.
    marks_acked: ['count>0'],
    carrier_unexpected_messages: ['count==0'],
  };
  if (BARGE_IN_MS !== null) {
    thresholds.turns_interrupted = ['count>0'];
  }

  const calls = callScenario('5');
  const options = {
    scenarios: { calls },
    thresholds,
    summaryTrendStats: SUMMARY_TREND_STATS,
  };

  function setup() {
    if (name === 'twilio' && env('TWILIO_AUTH_TOKEN', '') === '') {
      throw new Error("set TWILIO_AUTH_TOKEN to the relay's carriers.twilio.authToken");
    }
    return { token: clientToken() };
  }

  /**
   * The upgrade URL and headers, with the carrier's own credential.
   * @param {string} token
   */
  function upgrade(token) {
    const url = `${BASE}${carrier.pathToken ? `/${encodeURIComponent(token)}` : ''}${carrier.query || ''}`;
    /** @type {Record<string, string>} */
    const headers = {};
    if (name === 'twilio') {
      // X-Twilio-Signature = base64(HMAC-SHA1(authToken, the wss URL Twilio was given)).
      const m = /^wss?:\/\/([^/]+)(\/.*)$/.exec(url);
      const base = env('TWILIO_SIGNED_BASE', m === null ? '' : `wss://${m[1]}`).replace(/\/+$/, '');
      headers['X-Twilio-Signature'] = crypto.hmac(
        'sha1',
        env('TWILIO_AUTH_TOKEN', ''),
        `${base}${m === null ? '' : m[2]}`,
        'base64',
      );
    } else if (name === 'telnyx' && env('TELNYX_STREAM_TOKEN', '') !== '') {
      headers['x-telnyx-streaming-auth-token'] = env('TELNYX_STREAM_TOKEN', '');
    } else if (name === 'exotel' && env('EXOTEL_BASIC', '') !== '') {
      headers.Authorization = `Basic ${encoding.b64encode(env('EXOTEL_BASIC', ''))}`;
    }
    return { url, headers };
  }

  /** @param {{ token: string }} data */
  function run(data) {
    arrive(__VU, __ITER, calls.vus);
    const id = `${__VU}x${__ITER}x${Date.now()}`;
    let counter = 0;
    const call = createCarrierCall({
      carrier,
      ctx: { callId: id, streamId: `MZ${id}`, token: data.token, next: () => ++counter },
      speech: SPEECH,
      turns: TURNS,
      bargeInMs: BARGE_IN_MS,
    });
    /** @type {ReturnType<typeof createImpairment<{ bytes: Uint8Array, index: number, tsMs: number, seq: number }>>} */
    const impair = createImpairment(IMPAIR, SEED * 100003 + __VU * 1009 + __ITER);
    // Frames per media message: the carrier's own chunking, or the impairment's if larger.
    const perChunk = Math.max(carrier.chunkFrames, impair.chunkFrames);
    /** @type {{ bytes: Uint8Array, index: number, tsMs: number, seq: number }[]} */
    let held = [];
    const u = upgrade(data.token);
    // k6 ignores the protocols argument: the subprotocol goes in the header.
    const socket = new websockets.WebSocket(u.url, null, {
      headers:
        carrier.subprotocol === undefined
          ? u.headers
          : { ...u.headers, 'Sec-WebSocket-Protocol': carrier.subprotocol },
    });
    arrayBufferMode(socket);
    const deadline = Date.now() + 15000 + TURNS * 15000;
    let timer = 0;
    let ok = false;

    /** @param {(string | ArrayBuffer)[]} msgs */
    const sendAll = (msgs) => {
      for (const m of msgs) {
        socket.send(m);
      }
    };

    socket.onopen = () => {
      sendAll(call.open(Date.now()));
      timer = setInterval(() => {
        const now = Date.now();
        sendAll(call.poll(now));
        for (const f of call.capture(now)) {
          impair.push(f, now);
        }
        for (const group of impair.due(now)) {
          // Re-chunk: a carrier with bigger chunks (Exotel: 100 ms) sends whole chunks only.
          held = held.concat(group);
          while (held.length >= perChunk) {
            sendAll(call.mediaMessages(held.slice(0, perChunk), perChunk));
            held = held.slice(perChunk);
          }
        }
        if (call.done || now > deadline) {
          ok = call.done;
          clearInterval(timer);
          sendAll(call.finish(DTMF));
          socket.close();
        }
      }, TICK_MS);
    };
    socket.onmessage = (ev) => {
      if (ev === undefined) {
        return;
      }
      const d = ev.data;
      if (typeof d === 'string' || d instanceof ArrayBuffer) {
        sendAll(call.onMessage(d, Date.now()));
      }
    };
    socket.onclose = () => {
      clearInterval(timer);
      let completed = 0;
      for (const t of call.turns) {
        if (t.bargedIn) {
          if (t.cleared) {
            turnsInterrupted.add(1);
            completed++;
          }
          continue;
        }
        if (t.firstAudioMs !== null) {
          timeToFirstAudio.add(t.firstAudioMs);
        }
        if (t.firstPlayedMs !== null) {
          clientV2v.add(t.firstPlayedMs);
        }
        if (t.unanswered) {
          turnsUnanswered.add(1);
        }
        if (t.complete && t.firstAudioMs !== null) {
          turnsCompleted.add(1);
          completed++;
        }
      }
      marksAcked.add(call.stats.marksAcked);
      mediaIn.add(call.stats.mediaIn);
      unexpected.add(call.stats.other);
      const good = ok && completed === TURNS;
      callOk.add(good);
      check(good, { 'every turn answered (and every barge-in cleared)': (x) => x });
    };
  }

  return { options, setup, run, handleSummary: summaryReport(`carrier-${name}`) };
}
