import { EnergyVad } from '../../media/vad/energy-vad.js';
import type { SemanticDetector, SemanticEvidence } from '../../pipeline/turn-detection/semantic.js';
import { rng, type ScriptedTurn, type Split } from './corpus.js';
import { SYNTH_RATE_HZ } from './synth.js';

const FRAME_MS = 20;
const FRAME_BYTES = (SYNTH_RATE_HZ / 1000) * FRAME_MS * 2;
const LEAD_IN_MS = 300;
/** Silence after the last word: longer than any wait the sweep considers. */
export const TAIL_MS = 3200;
/** The VAD every detector sees (the relay's energy VAD, 100 ms of silence ends speech). */
const VAD = { thresholdDbfs: -40, minSpeechMs: 60, minSilenceMs: 100 };

/** A pause the VAD saw: each tick while silent, with each probe's probability. */
export interface Pause {
  turn: number;
  final: boolean;
  /** Silence from speech end until the caller resumed (Infinity for the final pause). */
  lengthMs: number;
  silenceMs: number[];
  /** probability[probe][tick] */
  probability: number[][];
  /** The transcript delivered by the end of the pause (for inspection). */
  text: string;
  /** The transcript the detectors had at each tick. */
  seen: string[];
  /** What the caller had said when the pause began (the script, fillers included). */
  spoken: string;
  /** The first probe's evidence at each tick, when asked for (fitting weights). */
  evidence?: SemanticEvidence[];
}

export interface ReplayedTurn {
  id: string;
  split: Split;
  pauses: Pause[];
  speechMs: number;
}

export interface Probe {
  name: string;
  make(): SemanticDetector;
}

/**
 * The STT as the harness plays it, modelled on a streaming recognizer's interim results
 * rather than the script: a word is recognized a latency after it was spoken (drawn per
 * turn, 200–500 ms, plus jitter per word), interim results go out on a cadence (every
 * 100–300 ms of audio, per turn) holding the words recognized so far, and half the turns
 * are recognized as by a provider that drops filler words ("um", "uh"). Numbers stay
 * spelled out; recognition errors are not modelled.
 */
const STT = { latencyMs: [200, 500], jitterMs: 100, cadenceMs: [100, 300], dropFillers: 0.5 };
const FILLER_WORDS = new Set(['um', 'uh', 'er', 'erm']);

/**
 * Plays one scripted turn through the VAD and every probe, faster than real time: the
 * synthesized audio frame by frame (prosody comes from it), and cumulative interim
 * transcripts as the STT model above would have produced them by then. Words are timed
 * within a piece in proportion to their length.
 */
export function replayTurn(
  turn: ScriptedTurn,
  index: number,
  audio: readonly Buffer[],
  probes: readonly Probe[],
  seed: number,
  recordEvidence = false,
): ReplayedTurn {
  const r = rng(seed ^ (index * 2654435761));
  const between = (lo: number, hi: number): number => lo + r() * (hi - lo);
  const latencyMs = between(STT.latencyMs[0] ?? 0, STT.latencyMs[1] ?? 0);
  const cadenceMs = between(STT.cadenceMs[0] ?? 0, STT.cadenceMs[1] ?? 0);
  const dropFillers = r() < STT.dropFillers;
  // Timeline: audio and the moment each word is recognized.
  const chunks: Buffer[] = [silence(LEAD_IN_MS, r)];
  const words: { atMs: number; word: string }[] = [];
  const said: { endMs: number; word: string }[] = [];
  let cursor = LEAD_IN_MS;
  let speechMs = 0;
  turn.pieces.forEach((piece, i) => {
    const pcm = audio[i] ?? Buffer.alloc(0);
    const durMs = (pcm.length / 2 / SYNTH_RATE_HZ) * 1000;
    // As an STT without punctuation would write it: the script's commas must not leak.
    const ws = piece.text
      .replace(/[.,?!]/g, '')
      .split(/\s+/)
      .filter((w) => w !== '');
    const weights = ws.map((w) => w.length + 2);
    const total = weights.reduce((a, b) => a + b, 0);
    let acc = 0;
    ws.forEach((w, k) => {
      acc += weights[k] ?? 0;
      const endMs = cursor + (durMs * acc) / total;
      const at = endMs + latencyMs + r() * STT.jitterMs;
      said.push({ endMs, word: w });
      if (!(dropFillers && FILLER_WORDS.has(w.toLowerCase()))) {
        words.push({ atMs: at, word: w });
      }
    });
    chunks.push(pcm);
    speechMs += durMs;
    const pause = i === turn.pieces.length - 1 ? TAIL_MS : piece.pauseMs;
    chunks.push(silence(pause, r));
    cursor += durMs + pause;
  });
  const all = Buffer.concat(chunks);

  const vad = new EnergyVad(VAD);
  const detectors = probes.map((p) => p.make());
  const pauses: Pause[] = [];
  let open: Pause | undefined;
  let stopTs = 0;
  let nextInterim = cadenceMs;
  let sent = 0;
  let delivered = '';
  for (let off = 0; off + FRAME_BYTES <= all.length; off += FRAME_BYTES) {
    const frame = all.subarray(off, off + FRAME_BYTES);
    const ts = (off / FRAME_BYTES) * FRAME_MS;
    const now = ts + FRAME_MS;
    for (const d of detectors) {
      d.onAudio(frame, ts, FRAME_MS);
    }
    const ev = vad.push(frame, ts, FRAME_MS);
    if (ev?.type === 'speech.started') {
      if (open !== undefined) {
        open.lengthMs = ev.tsMs - stopTs;
        pauses.push(open);
        open = undefined;
      }
      for (const d of detectors) {
        d.onSpeechStarted(ev.tsMs);
      }
    } else if (ev?.type === 'speech.stopped') {
      stopTs = ev.tsMs;
      open = {
        turn: index,
        final: false,
        lengthMs: Infinity,
        silenceMs: [],
        probability: detectors.map(() => []),
        text: '',
        seen: [],
        spoken: said
          .filter((w) => w.endMs <= ev.tsMs + FRAME_MS * 2)
          .map((w) => w.word)
          .join(' '),
        ...(recordEvidence ? { evidence: [] } : {}),
      };
      for (const d of detectors) {
        d.onSpeechStopped(ev.tsMs);
      }
    }
    if (now >= nextInterim) {
      // An interim result: every word recognized by now (in spoken order), if any changed.
      nextInterim += cadenceMs;
      let n = 0;
      while (n < words.length && (words[n]?.atMs ?? Infinity) <= now) {
        n++;
      }
      if (n > sent) {
        sent = n;
        delivered = words
          .slice(0, n)
          .map((w) => w.word)
          .join(' ');
        for (const d of detectors) {
          d.onTranscript(delivered, false);
        }
      }
    }
    if (open !== undefined) {
      open.text = delivered;
    }
    if (open !== undefined && !vad.speaking) {
      open.silenceMs.push(now - stopTs);
      detectors.forEach((d, k) => open?.probability[k]?.push(d.probability(now)));
      open.seen.push(delivered);
      const first = detectors[0];
      if (open.evidence !== undefined && first !== undefined) {
        open.evidence.push({ ...first.evidence(now) });
      }
    }
  }
  if (open !== undefined) {
    open.final = true;
    pauses.push(open);
  }
  return { id: turn.id, split: turn.split, pauses, speechMs };
}

/** Room-tone silence (white noise at about −65 dBFS), so the audio is never exactly zero. */
function silence(ms: number, r: () => number): Buffer {
  const n = Math.round((ms / 1000) * SYNTH_RATE_HZ);
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    b.writeInt16LE(Math.round((r() - 0.5) * 40), i * 2);
  }
  return b;
}
