// Protocol v1 message sequence of a voice call, as pure functions: no I/O, no timers,
// no clock reads (every function that needs the time takes `nowMs`). The k6 scripts
// (loadtest/*.js) and the Node tests and benchmarks (src/bench/) drive the same code,
// so what the Node test checks against a real relay is what k6 sends.
//
// Works in k6 (>= 1.3, goja: ES2015+ modules, ArrayBuffer, DataView) and in Node.
// Types: protocol.d.ts beside this file.

export const HEADER_BYTES = 12;
export const FRAME_MS = 20;
/** Server → client: first frame of a reply. */
export const FLAG_REPLY_START = 0x0001;
/** Server → client: last frame of a reply (not every relay version sets it). */
export const FLAG_REPLY_END = 0x0002;

/** PCM16 mono bytes in one 20 ms frame (640 at 16 kHz). */
export function bytesPerFrame(sampleRateHz) {
  return (sampleRateHz / 1000) * FRAME_MS * 2;
}

/**
 * One binary message: 12-byte big-endian header (u32 seq | u32 timestamp | u16 flags |
 * u16 reserved) + payload, as an exact-size ArrayBuffer (k6 before v1.5 sends a view's
 * whole backing buffer, so never send a view).
 */
export function buildFrame(seq, timestampMs, payload, flags) {
  const out = new ArrayBuffer(HEADER_BYTES + payload.byteLength);
  const dv = new DataView(out);
  dv.setUint32(0, seq >>> 0);
  dv.setUint32(4, Math.floor(timestampMs) >>> 0);
  dv.setUint16(8, flags === undefined ? 0 : flags);
  dv.setUint16(10, 0);
  new Uint8Array(out, HEADER_BYTES).set(payload);
  return out;
}

/** The header of a binary message, or null when it is shorter than the header. */
export function parseHeader(buf) {
  if (buf.byteLength < HEADER_BYTES) {
    return null;
  }
  const dv = new DataView(buf);
  return {
    seq: dv.getUint32(0),
    timestampMs: dv.getUint32(4),
    flags: dv.getUint16(8),
    payloadBytes: buf.byteLength - HEADER_BYTES,
  };
}

/**
 * Deterministic speech-like PCM16 LE (a harmonic tone at about -17 dBFS with a slow
 * envelope): every 20 ms frame is voiced for an energy VAD at -40 dBFS.
 */
export function speechPcm(sampleRateHz, durationMs) {
  const n = Math.round((durationMs / 1000) * sampleRateHz);
  const out = new Uint8Array(n * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const t = i / sampleRateHz;
    const env = 0.75 + 0.25 * Math.sin(2 * Math.PI * 3 * t);
    const s = Math.sin(2 * Math.PI * 150 * t) + 0.5 * Math.sin(2 * Math.PI * 450 * t);
    dv.setInt16(i * 2, Math.round(7000 * env * s), true);
  }
  return out;
}

/** Minimal WAV reader: PCM16 only; the first channel of a multi-channel file. */
export function parseWav(buf) {
  const dv = new DataView(buf);
  const tag = (o) =>
    String.fromCharCode(dv.getUint8(o), dv.getUint8(o + 1), dv.getUint8(o + 2), dv.getUint8(o + 3));
  if (buf.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt = null;
  let off = 12;
  while (off + 8 <= buf.byteLength) {
    const id = tag(off);
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = {
        format: dv.getUint16(body, true),
        channels: dv.getUint16(body + 2, true),
        sampleRateHz: dv.getUint32(body + 4, true),
        bits: dv.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (fmt === null || fmt.format !== 1 || fmt.bits !== 16) {
        throw new Error('WAV must be PCM16 (format 1, 16 bits)');
      }
      const end = Math.min(buf.byteLength, body + size);
      const frames = Math.floor((end - body) / (2 * fmt.channels));
      const pcm = new Uint8Array(frames * 2);
      for (let i = 0; i < frames; i++) {
        const src = body + i * 2 * fmt.channels;
        pcm[i * 2] = dv.getUint8(src);
        pcm[i * 2 + 1] = dv.getUint8(src + 1);
      }
      return { sampleRateHz: fmt.sampleRateHz, channels: fmt.channels, pcm };
    }
    off = body + size + (size & 1);
  }
  throw new Error('WAV has no data chunk');
}

/** Value at quantile p (0..100) of the values, nearest-rank; NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) {
    return NaN;
  }
  const s = values.slice().sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/**
 * What the `sim` pipeline's stages take by design, speech end → first reply audio: 500 ms
 * endpoint silence + 100 ms to the final + 200 ms to the first token + 100 ms to the first
 * audio.
 */
export const SIM_STAGE_SUM_MS = 900;

/** The caller's voice-to-voice p95 the scripts hold the relay to: the stage sum + 150 ms. */
export const CLIENT_V2V_P95_MS = SIM_STAGE_SUM_MS + 150;

/** Threshold defaults: sized for the `sim` pipeline of `npm start`. */
export const DEFAULT_THRESHOLDS = {
  firstAudioP95Ms: 1500,
  voiceToVoiceP95Ms: 1500,
  callOkRate: 0.99,
};

/** Thresholds with overrides from the environment (k6: `-e FIRST_AUDIO_P95_MS=...`). */
export function thresholdsFromEnv(env) {
  const num = (k, d) =>
    env !== undefined && env[k] !== undefined && env[k] !== '' ? Number(env[k]) : d;
  return {
    firstAudioP95Ms: num('FIRST_AUDIO_P95_MS', DEFAULT_THRESHOLDS.firstAudioP95Ms),
    voiceToVoiceP95Ms: num('V2V_P95_MS', DEFAULT_THRESHOLDS.voiceToVoiceP95Ms),
    callOkRate: num('CALL_OK_RATE', DEFAULT_THRESHOLDS.callOkRate),
  };
}

/** The same thresholds as k6 `options.thresholds` (metric names of voice-call.js). */
export function k6Thresholds(t) {
  return {
    time_to_first_audio: [`p(95)<${t.firstAudioP95Ms}`],
    voice_to_voice: [`p(95)<${t.voiceToVoiceP95Ms}`],
    call_ok: [`rate>=${t.callOkRate}`],
  };
}

/** What k6 enforces, evaluated in plain JS (for tests): { ok, failures }. */
export function evaluateThresholds(s, t) {
  const failures = [];
  const fa = percentile(s.firstAudioMs, 95);
  const vv = percentile(s.voiceToVoiceMs, 95);
  const rate = s.calls === 0 ? 0 : s.callsOk / s.calls;
  if (!(fa < t.firstAudioP95Ms)) {
    failures.push(`time_to_first_audio p(95)=${fa} !< ${t.firstAudioP95Ms}`);
  }
  if (!(vv < t.voiceToVoiceP95Ms)) {
    failures.push(`voice_to_voice p(95)=${vv} !< ${t.voiceToVoiceP95Ms}`);
  }
  if (!(rate >= t.callOkRate)) {
    failures.push(`call_ok rate=${rate} !>= ${t.callOkRate}`);
  }
  return { ok: failures.length === 0, failures };
}

/** The upgrade URL of protocol v1 for a relay base URL (ws://host:port). */
export function sessionUrl(base, pipeline) {
  return `${base.replace(/\/+$/, '')}/v1/sessions?pipeline=${encodeURIComponent(pipeline)}`;
}

/**
 * The text a listener has heard of a sim-TTS reply after `playedMs` of its audio (the sim
 * engine's alignment: every UTF-16 code unit is `msPerChar` of audio; audio comes in
 * `chunkMs` chunks and a chunk's span ends at the last word end it holds in full; the
 * relay counts a chunk as heard once all of it has played). Whitespace-trimmed.
 */
export function simHeardText(text, playedMs, msPerChar, chunkMs) {
  const heardMs = Math.floor(playedMs / chunkMs) * chunkMs;
  let end = 0;
  for (let e = 1; e <= text.length && e * msPerChar <= heardMs; e++) {
    const wordEnd = e === text.length || (/\S/.test(text[e - 1]) && /\s/.test(text[e]));
    if (wordEnd) {
      end = e;
    }
  }
  return text.slice(0, end).trim();
}

/** Whitespace-normalised text (for comparisons). */
export function normText(t) {
  return String(t === null || t === undefined ? '' : t)
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * One call: after `session.ready`, `leadMs` of silence, then per turn the utterance
 * (`speech`, PCM16 LE at `sampleRateHz`), then silence until the turn's `turn.metrics`
 * (or `turnTimeoutMs`), then `gapMs` of silence; `done` after `turns` turns.
 *
 * Reply audio is played on the caller's playout clock: frames play in arrival order, each
 * 20 ms, after `playoutBufferMs` (0) at the start of a reply. With `playbackMarks`, poll()
 * also returns `playback.mark {seq}` texts for played audio (every `markEveryMs`, 100).
 * With `bargeInMs`, every turn but the last is interrupted: once that much of its reply
 * has played, the caller pauses playout (what it played is then fixed) and speaks its next
 * utterance over the agent; the turn is complete when `response.interrupted` arrives, and
 * its `heardText` is compared with `expectHeard(replyText, playedMs)` when that is given.
 *
 * Drive it with poll(now) at least every 20 ms (send what it returns, in order),
 * onText(text, now) and onBinary(arrayBuffer, now). Frames are due when their 20 ms of
 * capture has ended, so a turn's speech end is the poll time of its last speech frame.
 */
export function createCall(opts) {
  const rate = opts.sampleRateHz || 16000;
  const fb = bytesPerFrame(rate);
  const speech = opts.speech || speechPcm(rate, 1200);
  const turnsWanted = opts.turns === undefined ? 1 : opts.turns;
  const leadMs = opts.leadMs === undefined ? 200 : opts.leadMs;
  const gapMs = opts.gapMs === undefined ? 300 : opts.gapMs;
  const turnTimeoutMs = opts.turnTimeoutMs === undefined ? 10000 : opts.turnTimeoutMs;
  const bargeInMs = opts.bargeInMs === undefined ? null : opts.bargeInMs;
  const playoutBufferMs = opts.playoutBufferMs || 0;
  const markEveryMs = opts.markEveryMs || 100;
  const playbackMarks = opts.playbackMarks === true;
  const expectHeard = opts.expectHeard || null;
  const maxCatchUp = 10;
  const quiet = new Uint8Array(fb);
  const sentAt = [];
  const turns = [];
  const errors = [];
  let phase = 'connecting';
  let t0 = 0;
  let seq = 0;
  let speechOff = 0;
  let phaseUntil = 0;
  let turn = null;
  let sessionId = null;
  let framesReceived = 0;
  let badFrames = 0;
  let lastReplySeq = null;
  let replyFrameIndex = 0;
  let closedBy = null;
  // Playout: frames queued in arrival order; `queueEnd` is when the queued audio ends.
  let queue = [];
  let queueEnd = 0;
  let paused = false;
  let lastPlayedSeq = null;
  let lastMarkedSeq = null;
  let lastMarkAt = 0;
  let markNow = false;

  function newTurn() {
    return {
      index: turns.length + 1,
      speechEndMs: null,
      speechEndSeq: null,
      firstAudioMs: null,
      firstPlayedMs: null,
      voiceToVoiceMs: null,
      transcript: null,
      reply: null,
      replyText: '',
      turnId: null,
      metrics: null,
      playedMs: 0,
      bargedIn: false,
      playedAtBargeInMs: null,
      interrupted: false,
      heardText: null,
      heardAudioMs: null,
      expectedHeardText: null,
      heardExact: null,
    };
  }

  function turnById(id) {
    if (id !== undefined && id !== null) {
      for (let i = turns.length - 1; i >= 0; i--) {
        if (turns[i].turnId === id) {
          return turns[i];
        }
      }
    }
    return turn;
  }

  function nextPayload(now) {
    if (phase !== 'speaking') {
      return quiet;
    }
    const chunk = new Uint8Array(fb);
    chunk.set(speech.subarray(speechOff, Math.min(speech.length, speechOff + fb)));
    speechOff += fb;
    if (speechOff >= speech.length) {
      turn.speechEndMs = now;
      turn.speechEndSeq = seq;
      phase = 'waiting';
      phaseUntil = now + turnTimeoutMs;
    }
    return chunk;
  }

  function startTurn() {
    turn = newTurn();
    turns.push(turn);
    speechOff = 0;
    phase = 'speaking';
  }

  /** Frames whose audio has played by `now` (unless paused). */
  function play(now) {
    if (paused) {
      return;
    }
    while (queue.length > 0 && queue[0].endAt <= now) {
      const f = queue.shift();
      lastPlayedSeq = f.seq;
      if (f.turn !== null) {
        f.turn.playedMs = Math.max(f.turn.playedMs, f.offsetMs + FRAME_MS);
      }
    }
  }

  function bargeIn() {
    // Talk over the agent: playout pauses, so what was played is fixed from here on.
    paused = true;
    markNow = true;
    turn.bargedIn = true;
    turn.playedAtBargeInMs = turn.playedMs;
    startTurn();
  }

  function advance(now) {
    if (phase === 'lead' || phase === 'gap') {
      if (now >= phaseUntil) {
        if (turns.length >= turnsWanted) {
          phase = 'done';
        } else {
          startTurn();
        }
      }
    } else if (phase === 'waiting') {
      if (
        bargeInMs !== null &&
        turn.index < turnsWanted &&
        turn.firstPlayedMs !== null &&
        turn.playedMs >= bargeInMs
      ) {
        bargeIn();
      } else if (now >= phaseUntil) {
        errors.push(`turn ${turn.index}: no turn.metrics within ${turnTimeoutMs} ms`);
        phase = 'gap';
        phaseUntil = now;
      }
    }
  }

  return {
    get phase() {
      return phase;
    },
    get done() {
      return phase === 'done' || phase === 'closed';
    },
    get sessionId() {
      return sessionId;
    },
    /**
     * Frames due by `now` (drift-compensated on the capture timeline; bounded catch-up),
     * and with `playbackMarks` the `playback.mark` texts of audio played by now.
     */
    poll(now) {
      const out = [];
      play(now);
      advance(now);
      if (phase === 'connecting' || phase === 'done' || phase === 'closed') {
        return out;
      }
      if (
        playbackMarks &&
        lastPlayedSeq !== null &&
        lastPlayedSeq !== lastMarkedSeq &&
        (markNow || (!paused && (now - lastMarkAt >= markEveryMs || queue.length === 0)))
      ) {
        markNow = false;
        out.push(JSON.stringify({ type: 'playback.mark', seq: lastPlayedSeq }));
        lastMarkedSeq = lastPlayedSeq;
        lastMarkAt = now;
      }
      let due = Math.floor((now - t0) / FRAME_MS);
      if (due - seq > maxCatchUp) {
        // Too far behind (a stalled VU): skip the backlog rather than burst it.
        t0 += (due - seq - maxCatchUp) * FRAME_MS;
        due = seq + maxCatchUp;
      }
      while (seq < due && phase !== 'done') {
        const payload = nextPayload(now);
        out.push(buildFrame(seq, t0 + seq * FRAME_MS, payload));
        sentAt[seq] = now;
        seq++;
        advance(now);
      }
      return out;
    },
    /** A text message (JSON event); returns the parsed event or null. */
    onText(text, now) {
      let ev;
      try {
        ev = JSON.parse(text);
      } catch (e) {
        errors.push('unparsable text message');
        return null;
      }
      switch (ev.type) {
        case 'session.ready':
          if (phase === 'connecting') {
            sessionId = ev.sessionId;
            t0 = now;
            phase = 'lead';
            phaseUntil = now + leadMs;
          }
          break;
        case 'transcript.final':
          if (turn !== null && turn.transcript === null) {
            turn.transcript = ev.text;
            turn.turnId = ev.turnId;
          }
          break;
        case 'response.text.delta': {
          const t = turnById(ev.turnId);
          if (t !== null && typeof ev.text === 'string') {
            t.replyText += ev.text;
          }
          break;
        }
        case 'response.done': {
          const t = turnById(ev.turnId);
          if (t !== null) {
            t.reply = ev.text;
          }
          break;
        }
        case 'response.interrupted': {
          const t = turnById(ev.turnId);
          // The client clears its playback buffer; playout goes on with the next reply.
          queue = [];
          queueEnd = now;
          paused = false;
          if (t !== null) {
            t.interrupted = true;
            t.heardText = typeof ev.heardText === 'string' ? ev.heardText : null;
            t.heardAudioMs = typeof ev.heardAudioMs === 'number' ? ev.heardAudioMs : null;
            if (expectHeard !== null && t.bargedIn) {
              t.expectedHeardText = expectHeard(t.reply || t.replyText, t.playedAtBargeInMs);
              t.heardExact = normText(t.heardText) === normText(t.expectedHeardText);
            }
          }
          break;
        }
        case 'turn.metrics': {
          const t = turnById(ev.turnId);
          if (t !== null && t.metrics === null) {
            t.metrics = ev;
            t.voiceToVoiceMs = typeof ev.voiceToVoiceMs === 'number' ? ev.voiceToVoiceMs : null;
          }
          const toInterrupt = bargeInMs !== null && t !== null && t.index < turnsWanted;
          if (t === turn && phase === 'waiting' && !toInterrupt) {
            phase = 'gap';
            phaseUntil = now + gapMs;
          }
          break;
        }
        case 'error':
        case 'budget.exceeded':
          errors.push(`${ev.type}: ${ev.code || ev.stage || ''} ${ev.message || ''}`.trim());
          break;
        case 'session.closing':
          closedBy = `${ev.code} ${ev.reason}`;
          break;
        default:
          break;
      }
      return ev;
    },
    /** A binary message (reply audio). */
    onBinary(buf, now) {
      const h = parseHeader(buf);
      if (h === null) {
        errors.push('binary message shorter than the header');
        return null;
      }
      framesReceived++;
      // Intact: one whole 20 ms frame, known flags, seq +1 per frame (a new reply may
      // skip what a barge-in dropped), timestamp = the frame's offset within its reply.
      const starts = (h.flags & FLAG_REPLY_START) !== 0;
      replyFrameIndex = starts ? 0 : replyFrameIndex + 1;
      const intact =
        h.payloadBytes === fb &&
        (h.flags & ~(FLAG_REPLY_START | FLAG_REPLY_END)) === 0 &&
        (starts || lastReplySeq === null || h.seq === (lastReplySeq + 1) >>> 0) &&
        h.timestampMs === replyFrameIndex * FRAME_MS;
      if (!intact) {
        badFrames++;
      }
      lastReplySeq = h.seq;
      const current =
        turn !== null && phase === 'waiting' && turn.speechEndMs !== null ? turn : null;
      if (current !== null && current.firstAudioMs === null) {
        current.firstAudioMs = now - current.speechEndMs;
      }
      // Playout: a reply's first frame waits playoutBufferMs when nothing is playing.
      const startAt = Math.max(
        queueEnd,
        starts || queue.length === 0 ? now + playoutBufferMs : now,
      );
      queueEnd = startAt + FRAME_MS;
      queue.push({ seq: h.seq, offsetMs: h.timestampMs, endAt: queueEnd, turn: current });
      if (current !== null && current.firstPlayedMs === null) {
        current.firstPlayedMs = startAt - current.speechEndMs;
      }
      return h;
    },
    /** The socket closed (code from the close event when the k6 version reports it). */
    onClose(code) {
      if (phase !== 'done') {
        if (closedBy === null) {
          closedBy = `closed ${code === undefined ? '' : code}`.trim();
        }
        phase = 'closed';
      }
    },
    /** When frame `seq` was sent (for benchmarks that need the exact send times). */
    frameSentAt(s) {
      return sentAt[s];
    },
    results() {
      const complete = turns.filter((t) =>
        t.bargedIn
          ? t.interrupted && t.heardExact !== false
          : t.firstAudioMs !== null && t.voiceToVoiceMs !== null,
      );
      return {
        sessionId,
        turns: turns.slice(),
        ok: phase === 'done' && errors.length === 0 && complete.length === turnsWanted,
        errors: errors.slice(),
        closedBy,
        framesSent: seq,
        framesReceived,
        badFrames,
      };
    },
  };
}
