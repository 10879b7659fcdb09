// A protocol v1 voice call per iteration: authenticate on the upgrade, stream a WAV (or
// generated speech) at 20 ms pacing, wait for each reply, and record time to first audio
// (client timing) and voice-to-voice (the relay's turn.metrics) as custom Trends.
//
//   k6 run loadtest/voice-call.js
//   k6 run -e VUS=50 -e DURATION=2m -e WAV=./speech-16k.wav -e PIPELINE=default loadtest/voice-call.js
//
// Environment: RELAY_URL (ws://127.0.0.1:8080), GATEWAY_URL (http://127.0.0.1:8081),
// PIPELINE (sim), TOKEN | ADMIN_KEY (see lib/k6-env.js), WAV (PCM16 mono at the pipeline's
// rate; path relative to this script), SPEECH_MS (1200, generated speech), TURNS (2),
// VUS (10), DURATION (1m), SAMPLE_RATE (16000), FIRST_AUDIO_P95_MS, V2V_P95_MS, CALL_OK_RATE.
// The message sequence is lib/protocol.js, which src/bench/k6-protocol.test.ts runs
// against a real relay.
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { clearInterval, setInterval } from 'k6/timers';
import {
  arrayBufferMode,
  clientToken,
  env,
  PIPELINE,
  RELAY_URL,
  websockets,
} from './lib/k6-env.js';
import {
  createCall,
  k6Thresholds,
  parseWav,
  sessionUrl,
  speechPcm,
  thresholdsFromEnv,
} from './lib/protocol.js';

const SAMPLE_RATE = Number(env('SAMPLE_RATE', '16000'));
const TURNS = Number(env('TURNS', '2'));
const WAV_PATH = env('WAV', '');
// open() only works in the init context: the WAV is read once, shared by every VU.
const WAV = WAV_PATH === '' ? null : parseWav(open(WAV_PATH, 'b'));
if (WAV !== null && WAV.sampleRateHz !== SAMPLE_RATE) {
  throw new Error(
    `${WAV_PATH} is ${WAV.sampleRateHz} Hz; the pipeline expects ${SAMPLE_RATE} Hz (-e SAMPLE_RATE=...)`,
  );
}
const SPEECH = WAV === null ? speechPcm(SAMPLE_RATE, Number(env('SPEECH_MS', '1200'))) : WAV.pcm;

const timeToFirstAudio = new Trend('time_to_first_audio', true);
const voiceToVoice = new Trend('voice_to_voice', true);
const sttFinal = new Trend('stt_final', true);
const llmTtft = new Trend('llm_ttft', true);
const ttsTtfa = new Trend('tts_ttfa', true);
const callOk = new Rate('call_ok');
const callErrors = new Counter('call_errors');
const replyFrames = new Counter('reply_frames');

const THRESHOLDS = thresholdsFromEnv(__ENV);

export const options = {
  scenarios: {
    calls: {
      executor: 'constant-vus',
      vus: Number(env('VUS', '10')),
      duration: env('DURATION', '1m'),
      gracefulStop: '30s',
    },
  },
  thresholds: {
    ...k6Thresholds(THRESHOLDS),
    ws_connecting: ['p(95)<1000'],
    checks: ['rate>0.95'],
  },
};

export function setup() {
  return { token: clientToken() };
}

/** @param {{ token: string }} data */
export default function (data) {
  const call = createCall({ sampleRateHz: SAMPLE_RATE, speech: SPEECH, turns: TURNS });
  const socket = new websockets.WebSocket(sessionUrl(RELAY_URL, PIPELINE), null, {
    headers: { Authorization: `Bearer ${data.token}` },
  });
  arrayBufferMode(socket);
  // Long enough for every turn; a stuck call is closed and counted as failed.
  const deadline =
    Date.now() + 15000 + TURNS * ((SPEECH.length / (SAMPLE_RATE * 2)) * 1000 + 12000);
  let timer = 0;

  socket.onopen = () => {
    timer = setInterval(() => {
      const now = Date.now();
      for (const frame of call.poll(now)) {
        socket.send(frame);
      }
      if (call.done || now > deadline) {
        clearInterval(timer);
        socket.close();
      }
    }, 20);
  };
  socket.onmessage = (ev) => {
    if (ev === undefined) {
      return;
    }
    const now = Date.now();
    const d = ev.data;
    if (typeof d === 'string') {
      call.onText(d, now);
    } else if (d instanceof ArrayBuffer) {
      call.onBinary(d, now);
      replyFrames.add(1);
    } else {
      // A Blob (k6 without binaryType): only the arrival time matters here.
      d.arrayBuffer().then((buf) => call.onBinary(buf, now));
      replyFrames.add(1);
    }
  };
  socket.onerror = () => {
    callErrors.add(1);
  };
  socket.onclose = () => {
    clearInterval(timer);
    call.onClose();
    record(call.results());
  };
}

/** @param {import('./lib/protocol.js').CallResults} r */
function record(r) {
  for (const t of r.turns) {
    if (t.firstAudioMs !== null) {
      timeToFirstAudio.add(t.firstAudioMs);
    }
    if (t.voiceToVoiceMs !== null) {
      voiceToVoice.add(t.voiceToVoiceMs);
    }
    const m = t.metrics;
    if (m !== null) {
      if (typeof m.sttFinalMs === 'number') {
        sttFinal.add(m.sttFinalMs);
      }
      if (typeof m.llmTtftMs === 'number') {
        llmTtft.add(m.llmTtftMs);
      }
      if (typeof m.ttsTtfaMs === 'number') {
        ttsTtfa.add(m.ttsTtfaMs);
      }
    }
  }
  callErrors.add(r.errors.length);
  callOk.add(r.ok);
  check(r, {
    'session.ready received': (x) => x.sessionId !== null,
    'every turn answered': (x) => x.ok,
  });
}
