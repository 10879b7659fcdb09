// A protocol v1 voice call per iteration: authenticate on the upgrade, stream a WAV (or
// generated speech) at 20 ms pacing through an optional network impairment, play the
// replies on the caller's playout clock (acking them with playback.mark), and per turn
// record voice-to-voice on the caller's side and the relay's, time to first audio, turns
// completed; with BARGE_IN_MS also barge-in and whether the heard text is exact.
//
//   k6 run loadtest/voice-call.js
//   k6 run -e VUS=50 -e DURATION=2m -e WAV=./speech-16k.wav -e PIPELINE=default loadtest/voice-call.js
//   k6 run -e IMPAIR=stall2s loadtest/voice-call.js
//   k6 run -e BARGE_IN_MS=600 loadtest/voice-call.js
//
// Environment: RELAY_URL (ws://127.0.0.1:8080), GATEWAY_URL (http://127.0.0.1:8081),
// PIPELINE (sim), TOKEN | ADMIN_KEY (see lib/k6-env.js), WAV (PCM16 mono at the pipeline's
// rate; path relative to this script), SPEECH_MS (1200, generated speech), TURNS (2),
// VUS (10), DURATION (1m) or ITERATIONS (calls per VU, instead of DURATION),
// SAMPLE_RATE (16000), IMPAIR (inOrder; lib/impair.js), SEED (1), BARGE_IN_MS (off),
// SIM_MS_PER_CHAR (60) and SIM_CHUNK_MS (100) (the sim TTS alignment, for the heard-text
// check), TRANSCRIPT_OK_RATE (0.99), FIRST_AUDIO_P95_MS (1500), V2V_P95_MS (1500),
// CLIENT_V2V_P95_MS (1050: the sim stage sum + 150 ms), CALL_OK_RATE (0.99), REPORT.
// The message sequence is lib/protocol.js, which src/bench/k6-protocol.test.ts runs
// against a real relay.
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { clearInterval, setInterval } from 'k6/timers';
import { createImpairment } from './lib/impair.js';
import {
  arrayBufferMode,
  callScenario,
  clientToken,
  env,
  arrive,
  PIPELINE,
  RELAY_URL,
  websockets,
} from './lib/k6-env.js';
import {
  CLIENT_V2V_P95_MS,
  createCall,
  k6Thresholds,
  normText,
  parseWav,
  sessionUrl,
  simHeardText,
  speechPcm,
  thresholdsFromEnv,
} from './lib/protocol.js';
import { SUMMARY_TREND_STATS, summaryReport } from './lib/report.js';

const SAMPLE_RATE = Number(env('SAMPLE_RATE', '16000'));
const TURNS = Number(env('TURNS', '2'));
const WAV_PATH = env('WAV', '');
const IMPAIR = env('IMPAIR', 'inOrder');
const SEED = Number(env('SEED', '1'));
// One timer per VU: 20 ms (the frame clock) unless an impairment schedules finer sends.
const TICK_MS = IMPAIR === 'inOrder' ? 20 : 10;
const BARGE_IN_MS = env('BARGE_IN_MS', '') === '' ? null : Number(env('BARGE_IN_MS', '0'));
const SIM_MS_PER_CHAR = Number(env('SIM_MS_PER_CHAR', '60'));
const SIM_CHUNK_MS = Number(env('SIM_CHUNK_MS', '100'));
// open() only works in the init context: the WAV is read once, shared by every VU.
const WAV = WAV_PATH === '' ? null : parseWav(open(WAV_PATH, 'b'));
if (WAV !== null && WAV.sampleRateHz !== SAMPLE_RATE) {
  throw new Error(
    `${WAV_PATH} is ${WAV.sampleRateHz} Hz; the pipeline expects ${SAMPLE_RATE} Hz (-e SAMPLE_RATE=...)`,
  );
}
const SPEECH_MS = Number(env('SPEECH_MS', '1200'));
const SPEECH = WAV === null ? speechPcm(SAMPLE_RATE, SPEECH_MS) : WAV.pcm;
// The sim STT's transcript has one word per 250 ms of voiced audio (generated speech only).
const EXPECT_WORDS =
  WAV === null && PIPELINE === 'sim' ? Math.max(1, Math.round(SPEECH_MS / 250)) : 0;
createImpairment(IMPAIR, SEED); // an unknown profile fails here, before any VU starts

const timeToFirstAudio = new Trend('time_to_first_audio', true);
const clientV2v = new Trend('voice_to_voice_client', true);
const voiceToVoice = new Trend('voice_to_voice', true);
const sttFinal = new Trend('stt_final', true);
const llmTtft = new Trend('llm_ttft', true);
const ttsTtfa = new Trend('tts_ttfa', true);
const callOk = new Rate('call_ok');
const callErrors = new Counter('call_errors');
const replyFrames = new Counter('reply_frames');
const replyFramesBad = new Counter('reply_frames_bad');
const turnsCompleted = new Counter('turns_completed');
const turnsInterrupted = new Counter('turns_interrupted');
const heardExact = new Rate('heard_text_exact');
const transcriptOk = new Rate('transcript_words_ok');
const framesLost = new Counter('uplink_frames_impaired_lost');

const THRESHOLDS = thresholdsFromEnv(__ENV);

/** @type {Record<string, string[]>} */
const thresholds = {
  ...k6Thresholds(THRESHOLDS),
  voice_to_voice_client: [`p(95)<=${env('CLIENT_V2V_P95_MS', String(CLIENT_V2V_P95_MS))}`],
  ws_connecting: ['p(95)<1000'],
  reply_frames_bad: ['count==0'],
  checks: ['rate>0.95'],
};
if (BARGE_IN_MS !== null) {
  thresholds.heard_text_exact = ['rate>=0.99'];
}
if (EXPECT_WORDS > 0 && IMPAIR !== 'loss1') {
  // Nothing lost on the way in: the transcript is that of the whole utterance.
  thresholds.transcript_words_ok = [`rate>=${env('TRANSCRIPT_OK_RATE', '0.99')}`];
}

const CALLS = callScenario('10');

export const options = {
  scenarios: { calls: CALLS },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return { token: clientToken() };
}

/** @param {{ token: string }} data */
export default function (data) {
  arrive(__VU, __ITER, CALLS.vus);
  const call = createCall({
    sampleRateHz: SAMPLE_RATE,
    speech: SPEECH,
    turns: TURNS,
    playbackMarks: true,
    ...(BARGE_IN_MS === null
      ? {}
      : {
          bargeInMs: BARGE_IN_MS,
          expectHeard: (/** @type {string} */ text, /** @type {number} */ ms) =>
            simHeardText(text, ms, SIM_MS_PER_CHAR, SIM_CHUNK_MS),
        }),
  });
  /** @type {ReturnType<typeof createImpairment<ArrayBuffer>>} */
  const impair = createImpairment(IMPAIR, SEED * 100003 + __VU * 1009 + __ITER);
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
      for (const m of call.poll(now)) {
        if (typeof m === 'string') {
          socket.send(m); // control events are not impaired
        } else {
          impair.push(m, now);
        }
      }
      for (const group of impair.due(now)) {
        for (const frame of group) {
          socket.send(frame);
        }
      }
      if (call.done || now > deadline) {
        clearInterval(timer);
        socket.close();
      }
    }, TICK_MS);
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
      // A Blob (k6 without binaryType).
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
    framesLost.add(impair.stats.lost);
    record(call.results());
  };
}

/** @param {import('./lib/protocol.js').CallResults} r */
function record(r) {
  for (const t of r.turns) {
    if (t.firstAudioMs !== null && !t.bargedIn) {
      timeToFirstAudio.add(t.firstAudioMs);
    }
    if (t.firstPlayedMs !== null && !t.bargedIn) {
      clientV2v.add(t.firstPlayedMs);
    }
    if (t.voiceToVoiceMs !== null) {
      voiceToVoice.add(t.voiceToVoiceMs);
    }
    if (t.bargedIn) {
      if (t.interrupted) {
        turnsInterrupted.add(1);
      }
      if (t.heardExact !== null) {
        heardExact.add(t.heardExact);
      }
    } else if (t.firstAudioMs !== null && t.metrics !== null) {
      turnsCompleted.add(1);
    }
    if (EXPECT_WORDS > 0 && t.transcript !== null) {
      transcriptOk.add(normText(t.transcript).split(' ').length === EXPECT_WORDS);
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
  replyFramesBad.add(r.badFrames);
  callOk.add(r.ok);
  check(r, {
    'session.ready received': (x) => x.sessionId !== null,
    'every turn answered': (x) => x.ok,
  });
}

export const handleSummary = summaryReport('voice-call');
