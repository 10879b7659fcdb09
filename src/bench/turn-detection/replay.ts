import { EnergyVad } from '../../media/vad/energy-vad.js';
import type { SemanticDetector } from '../../pipeline/turn-detection/semantic.js';
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

/** The STT as the harness plays it: each word's partial arrives this long after the word. */
const STT_DELAY_MS = { min: 150, max: 350 };

/**
 * Plays one scripted turn through the VAD and every probe, faster than real time: the
 * synthesized audio frame by frame (prosody comes from it), and cumulative partial
 * transcripts at each word's end plus an STT-like delay. Words are timed within a piece in
 * proportion to their length.
 */
export function replayTurn(
  turn: ScriptedTurn,
  index: number,
  audio: readonly Buffer[],
  probes: readonly Probe[],
  seed: number,
): ReplayedTurn {
  const r = rng(seed ^ (index * 2654435761));
  // Timeline: audio and word deliveries.
  const chunks: Buffer[] = [silence(LEAD_IN_MS, r)];
  const words: { atMs: number; text: string }[] = [];
  let cursor = LEAD_IN_MS;
  let spoken: string[] = [];
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
      spoken = [...spoken, w];
      const endMs = cursor + (durMs * acc) / total;
      const delay = STT_DELAY_MS.min + r() * (STT_DELAY_MS.max - STT_DELAY_MS.min);
      const prev = words[words.length - 1]?.atMs ?? 0;
      words.push({ atMs: Math.max(prev, endMs + delay), text: spoken.join(' ') });
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
  let nextWord = 0;
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
        d.onSpeechStarted();
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
      };
      for (const d of detectors) {
        d.onSpeechStopped(ev.tsMs);
      }
    }
    while (nextWord < words.length && (words[nextWord]?.atMs ?? Infinity) <= now) {
      const text = words[nextWord]?.text ?? '';
      delivered = text;
      for (const d of detectors) {
        d.onTranscript(text, false);
      }
      nextWord++;
    }
    if (open !== undefined) {
      open.text = delivered;
    }
    if (open !== undefined && !vad.speaking) {
      open.silenceMs.push(now - stopTs);
      detectors.forEach((d, k) => open?.probability[k]?.push(d.probability()));
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
