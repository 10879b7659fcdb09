import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { mulberry32 } from '../media/jitter/traces.js';
import { synthVoice } from '../media/pcm.js';
import { impair, type ImpairmentProfile, type ScheduledSend } from '../testing/impairment.js';
import { SendLoop, type BenchClient, type ServerEventJson } from './load-gen.js';
import { writeStamp } from './stamp.js';
import { Samples } from './stats.js';

/**
 * Speech-like uplink load: every stream talks in turns (voiced 1.0–2.6 s, then 0.9–2.5 s
 * of silence, so voice activity is about half the time and a turn ends every few
 * seconds), with a voiced harmonic signal well above any VAD threshold (about -16 dBFS),
 * and frames arrive as the impairment harness schedules them (bursty by default).
 */
const FRAME_MS = 20;
const HEADER = 12;
const FRAME_BYTES = 640;
const SAMPLE_RATE_HZ = 16_000;
const POOL_FRAMES = 100;

/** Bursty arrival: every 600 ms, 100 ms of frames are held and go out together, in order. */
export const BURSTY_ARRIVAL: ImpairmentProfile = {
  name: 'bursty',
  burst: { everyMs: 600, lengthMs: 100 },
};

let pool: Buffer[] | undefined;

/** Six voices of 2 s each (built once). */
function voices(): Buffer[] {
  pool ??= Array.from({ length: 6 }, (_, i) =>
    synthVoice(POOL_FRAMES * FRAME_MS, SAMPLE_RATE_HZ, i + 1),
  );
  return pool;
}

/** Per frame: 0 = silence, else the voice (1..6) it speaks with; and the utterances it holds. */
export interface SpeechScript {
  voice: Uint8Array;
  /** Start frame of each utterance followed by at least the endpoint silence. */
  utteranceStarts: number[];
}

export function speechScript(frames: number, seed: number, endpointSilenceMs = 500): SpeechScript {
  const rnd = mulberry32(seed);
  const voice = new Uint8Array(frames);
  const utteranceStarts: number[] = [];
  let k = Math.floor((rnd() * 1500) / FRAME_MS); // streams start out of step
  while (k < frames) {
    const speech = Math.round((1000 + rnd() * 1600) / FRAME_MS);
    const pause = Math.round((900 + rnd() * 1600) / FRAME_MS);
    const v = 1 + Math.floor(rnd() * 6);
    const end = Math.min(frames, k + speech);
    voice.fill(v, k, end);
    if (end + endpointSilenceMs / FRAME_MS <= frames) {
      utteranceStarts.push(k);
    }
    k = end + pause;
  }
  return { voice, utteranceStarts };
}

/** What one client saw of the server's events during a round. */
export interface SpeechClientLog {
  budgetCancels: { atMs: number; stage: string }[];
  errors: Map<string, number>;
  turns: number;
  speechStarted: number;
  /** Every JSON event the server sent. */
  events: number;
}

export function newClientLog(): SpeechClientLog {
  return { budgetCancels: [], errors: new Map(), turns: 0, speechStarted: 0, events: 0 };
}

/** Event hook for openClients: fills `logs[client.index]`. */
export function logEvents(logs: SpeechClientLog[]) {
  return (c: BenchClient, ev: ServerEventJson): void => {
    const log = (logs[c.index] ??= newClientLog());
    log.events++;
    switch (ev.type) {
      case 'budget.exceeded':
        log.budgetCancels.push({ atMs: performance.now(), stage: String(ev['stage']) });
        break;
      case 'error': {
        const code = String(ev['code']);
        log.errors.set(code, (log.errors.get(code) ?? 0) + 1);
        break;
      }
      case 'turn.metrics':
        log.turns++;
        break;
      case 'speech.started':
        log.speechStarted++;
        break;
      default:
        break;
    }
  };
}

export interface SpeechStreamOptions {
  round: number;
  /** Frames per stream (each stream's whole script). */
  frames: number;
  /** Frames below this index are warm-up (not in the sink's latency window). */
  warmupFrames: number;
  arrival: ImpairmentProfile;
  seed: number;
}

interface Stream {
  c: BenchClient;
  script: SpeechScript;
  sends: ScheduledSend[];
  /** Frames per scheduled message (carrier chunks of chunkMs). */
  per: number;
  pos: number;
  t0: number;
  /** hrtime (µs) of t0, for the oracle: frame k is due at t0Us + (k + 1)·20 ms. */
  t0Us: number;
  lost: ReadonlySet<number>;
}

/**
 * Sends every client's speech script on its impaired schedule, the clients phase-spread
 * over the 20 ms period; one 1 ms timer loop for all (no timer per stream).
 */
export class SpeechStreamer extends SendLoop {
  readonly #o: SpeechStreamOptions;
  readonly #streams: Stream[] = [];
  readonly sendLagMs = new Samples(1 << 14);
  sent = 0;
  utterances = 0;

  constructor(o: SpeechStreamOptions, clients: readonly BenchClient[]) {
    super();
    this.#o = o;
    const start = performance.now() + 5;
    const startUs = Number(process.hrtime.bigint()) / 1000 + 5_000;
    const per = Math.max(1, Math.round((o.arrival.chunkMs ?? FRAME_MS) / FRAME_MS));
    clients.forEach((c, j) => {
      const seed = (o.seed * 7919 + c.index * 104_729) >>> 0;
      const script = speechScript(o.frames, seed);
      const schedule = impair(Math.ceil(o.frames / per), per * FRAME_MS, o.arrival, seed + 1);
      const offset = (j * FRAME_MS) / clients.length;
      this.utterances += script.utteranceStarts.length;
      this.#streams.push({
        c,
        script,
        sends: [...schedule.sends],
        per,
        pos: 0,
        t0: start + offset,
        t0Us: startUs + offset * 1000,
        lost: schedule.lost,
      });
    });
  }

  /** Per stream: the hrtime (µs) its frame 0 was due at, frames per message and lost messages. */
  oracle(): { t0Us: number; per: number; lost: ReadonlySet<number> }[] {
    return this.#streams.map((s) => ({ t0Us: s.t0Us, per: s.per, lost: s.lost }));
  }

  #send(s: Stream, k: number): void {
    const buf = Buffer.alloc(HEADER + FRAME_BYTES);
    buf.writeUInt32BE(k >>> 0, 0);
    buf.writeUInt32BE((k * FRAME_MS) >>> 0, 4);
    const v = s.script.voice[k] ?? 0;
    if (v !== 0) {
      const src = voices()[v - 1]!;
      const at = (k % POOL_FRAMES) * FRAME_BYTES;
      src.copy(buf, HEADER, at, at + FRAME_BYTES);
    }
    const measured = k >= this.#o.warmupFrames;
    writeStamp(buf.subarray(HEADER), process.hrtime.bigint(), this.#o.round, s.c.index, measured);
    s.c.ws.send(buf);
    this.sent++;
  }

  protected step(now: number): boolean {
    let pending = false;
    for (const s of this.#streams) {
      while (s.pos < s.sends.length) {
        const m = s.sends[s.pos]!;
        const due = s.t0 + m.atMs;
        if (due > now) {
          break;
        }
        s.pos++;
        if (s.c.ws.readyState !== WebSocket.OPEN) {
          continue;
        }
        if (!m.duplicate && m.index * s.per >= this.#o.warmupFrames) {
          this.sendLagMs.push(now - due);
        }
        const end = Math.min(this.#o.frames, (m.index + 1) * s.per);
        for (let k = m.index * s.per; k < end; k++) {
          this.#send(s, k);
        }
      }
      if (s.pos < s.sends.length) {
        pending = true;
      }
    }
    return pending;
  }
}
