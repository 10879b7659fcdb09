/**
 * Prosodic cues at the end of a stretch of speech, read from the caller's audio: how far
 * pitch and energy fell at the end relative to the utterance, and whether the speaking
 * rate slowed (final lengthening). Declarative endings fall; a speaker who pauses to
 * think tends to hold pitch level or rise and keeps the rate.
 *
 * Hot path: `push` reads each frame once, keeps per-frame values in fixed rings and a
 * decimated copy for pitch, and allocates nothing. Pitch is a normalized autocorrelation
 * over ~40 ms at ~4 kHz (70–400 Hz), computed on voiced frames only.
 */
export interface ProsodyOptions {
  sampleRateHz: number;
  /** Frame level counted as voiced, dBFS. */
  voicedDbfs: number;
}

export interface ProsodyCues {
  /** Semitones: pitch of the last voiced ~200 ms minus the utterance's median-ish level (negative: fell). */
  finalPitchSt: number;
  /** Semitones per 100 ms: slope of the pitch over the last voiced ~300 ms (negative: falling). */
  pitchSlopeSt: number;
  /**
   * Semitones: pitch of the last voiced ~150 ms above the speaker's floor (the 10th
   * percentile of the last 5 s). A statement ends near the floor; a pause mid-thought or a
   * question stays above it.
   */
  aboveFloorSt: number;
  /**
   * Semitones: the lowest pitch of the last voiced ~150 ms minus the speaker's median level.
   * A statement ends low (a final fall reaches well under the median); a continuation at a
   * comma or a hesitation stays near it or rises.
   */
  finalMinPitchSt: number;
  /** dB: level of the last voiced ~200 ms minus the utterance's mean voiced level. */
  finalEnergyDb: number;
  /** Syllable rate of the last ~800 ms over the utterance's rate (below 1: slowed down). */
  rateRatio: number;
  /** Voiced frames seen in the utterance (cues mean little below ~10). */
  voicedFrames: number;
}

const RING = 256; // frames: 5 s at 20 ms
const TARGET_RATE_HZ = 4000;
const MIN_F0 = 70;
const MAX_F0 = 400;
const VOICING_R = 0.45;

export class ProsodyTracker {
  readonly #voicedDb: number;
  readonly #decim: number;
  readonly #rate: number;
  readonly #minLag: number;
  readonly #maxLag: number;
  /** Decimated samples of the last two frames (the pitch window). */
  readonly #win: Float32Array;
  readonly #r: Float32Array;
  #winLen = 0;
  readonly #db = new Float32Array(RING);
  readonly #f0 = new Float32Array(RING); // semitones re 100 Hz, NaN when none
  readonly #end = new Float64Array(RING);
  readonly #dur = new Float32Array(RING);
  readonly #peak = new Uint8Array(RING);
  /** Scratch for the pitch percentiles (once per speech end, not per frame). */
  readonly #sorted = new Float32Array(RING);
  #n = 0; // frames pushed since reset
  #head = 0;
  #sumDb = 0;
  #voiced = 0;
  #syllables = 0;
  #voicedMs = 0;
  #rising = false;
  #prevDb = -120;

  constructor(o: ProsodyOptions) {
    this.#voicedDb = o.voicedDbfs;
    this.#decim = Math.max(1, Math.round(o.sampleRateHz / TARGET_RATE_HZ));
    this.#rate = o.sampleRateHz / this.#decim;
    this.#minLag = Math.floor(this.#rate / MAX_F0);
    this.#maxLag = Math.ceil(this.#rate / MIN_F0);
    this.#win = new Float32Array(Math.ceil((o.sampleRateHz * 0.04) / this.#decim));
    this.#r = new Float32Array(this.#maxLag + 2);
  }

  reset(): void {
    this.#n = 0;
    this.#sumDb = 0;
    this.#voiced = 0;
    this.#syllables = 0;
    this.#voicedMs = 0;
    this.#winLen = 0;
    this.#rising = false;
    this.#prevDb = -120;
  }

  push(pcm: Buffer, captureTsMs: number, durationMs: number): void {
    const samples = pcm.length >> 1;
    if (samples === 0) {
      return;
    }
    let energy = 0;
    for (let i = 0; i < samples; i++) {
      const v = pcm.readInt16LE(i << 1);
      energy += v * v;
    }
    const db = 10 * Math.log10(energy / samples / (32768 * 32768) + 1e-12);
    const voiced = db >= this.#voicedDb;
    const slot = this.#head;
    this.#head = (this.#head + 1) % RING;
    this.#n++;
    this.#db[slot] = db;
    this.#end[slot] = captureTsMs + durationMs;
    this.#dur[slot] = durationMs;
    this.#f0[slot] = Number.NaN;
    this.#peak[slot] = 0;
    this.#appendDecimated(pcm, samples);
    if (!voiced) {
      this.#rising = false;
      this.#prevDb = db;
      return;
    }
    this.#sumDb += db;
    this.#voiced++;
    this.#voicedMs += durationMs;
    // Syllable nuclei: a rise of ≥ 3 dB that then turns down counts one peak.
    if (db > this.#prevDb + 3) {
      this.#rising = true;
    } else if (this.#rising && db < this.#prevDb - 1) {
      this.#syllables++;
      this.#peak[slot] = 1;
      this.#rising = false;
    }
    this.#prevDb = db;
    const st = this.#pitchSt();
    if (!Number.isNaN(st)) {
      this.#f0[slot] = st;
    }
  }

  /** Cues for the speech that ended at `endTsMs` (frames after it are ignored). */
  cues(endTsMs: number): ProsodyCues {
    const frames = Math.min(this.#n, RING);
    const meanDb = this.#voiced > 0 ? this.#sumDb / this.#voiced : 0;
    // The speaker's level (median) and floor (10th percentile) over the last 5 s of pitch.
    const sorted = this.#sorted;
    let m = 0;
    for (let k = 1; k <= frames; k++) {
      const st = this.#f0[(this.#head - k + RING) % RING] ?? Number.NaN;
      if (!Number.isNaN(st)) {
        sorted[m++] = st;
      }
    }
    sorted.subarray(0, m).sort();
    const median = m > 0 ? (sorted[m >> 1] ?? 0) : 0;
    const floor = m > 0 ? (sorted[Math.floor(m * 0.1)] ?? 0) : 0;
    let lastDb = 0;
    let lastDbN = 0;
    let st1 = 0; // pitch over the last 150 ms
    let n1 = 0;
    let min1 = Infinity;
    // Least squares of pitch on time over the last 300 ms of pitched frames.
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let ns = 0;
    let recentVoicedMs = 0;
    let recentPeaks = 0;
    for (let k = 1; k <= frames; k++) {
      const i = (this.#head - k + RING) % RING;
      const end = this.#end[i] ?? 0;
      if (end > endTsMs + 1) {
        continue;
      }
      const back = endTsMs - end; // ms before the speech end
      if (back > 1000) {
        break;
      }
      const db = this.#db[i] ?? -120;
      if (db < this.#voicedDb) {
        continue;
      }
      if (back < 200) {
        lastDb += db;
        lastDbN++;
      }
      if (back < 800) {
        recentVoicedMs += this.#dur[i] ?? 0;
        recentPeaks += this.#peak[i] ?? 0;
      }
      let st = this.#f0[i] ?? Number.NaN;
      // Weak frames give unreliable pitch; fold octave errors back towards the speaker's level.
      if (Number.isNaN(st) || db < meanDb - 12) {
        continue;
      }
      st = st - median > 7 ? st - 12 : st - median < -9 ? st + 12 : st;
      if (back < 150) {
        st1 += st;
        n1++;
        min1 = Math.min(min1, st);
      }
      if (back < 300) {
        const x = -back / 100;
        sx += x;
        sy += st;
        sxx += x * x;
        sxy += x * st;
        ns++;
      }
    }
    const rateAll = this.#voicedMs > 0 ? this.#syllables / this.#voicedMs : 0;
    const rateRecent = recentVoicedMs > 0 ? recentPeaks / recentVoicedMs : 0;
    const last = n1 > 0 ? st1 / n1 : Number.NaN;
    const den = ns * sxx - sx * sx;
    return {
      finalPitchSt: n1 > 0 && m > 0 ? last - median : 0,
      pitchSlopeSt: ns >= 4 && den > 0 ? (ns * sxy - sx * sy) / den : 0,
      aboveFloorSt: n1 > 0 && m > 0 ? last - floor : 0,
      finalMinPitchSt: n1 > 0 && m > 0 ? min1 - median : 0,
      finalEnergyDb: lastDbN > 0 ? lastDb / lastDbN - meanDb : 0,
      rateRatio: rateAll > 0 && recentVoicedMs >= 300 ? rateRecent / rateAll : 1,
      voicedFrames: this.#voiced,
    };
  }

  #appendDecimated(pcm: Buffer, samples: number): void {
    const d = this.#decim;
    const out = Math.floor(samples / d);
    const win = this.#win;
    const keep = Math.min(this.#winLen, win.length - out);
    if (keep > 0 && this.#winLen > keep) {
      win.copyWithin(0, this.#winLen - keep, this.#winLen);
    }
    let w = Math.max(0, keep);
    for (let j = 0; j < out && w < win.length; j++) {
      let acc = 0;
      for (let k = 0; k < d; k++) {
        acc += pcm.readInt16LE((j * d + k) << 1);
      }
      win[w++] = acc / d;
    }
    this.#winLen = w;
  }

  /** Pitch of the current window in semitones re 100 Hz, NaN when unvoiced. */
  #pitchSt(): number {
    const x = this.#win;
    const n = this.#winLen;
    const maxLag = Math.min(this.#maxLag, n >> 1);
    const r = this.#r;
    if (maxLag <= this.#minLag + 1) {
      return Number.NaN;
    }
    let best = 0;
    for (let lag = this.#minLag; lag <= maxLag; lag++) {
      let xy = 0;
      let xx = 0;
      let yy = 0;
      for (let i = 0; i + lag < n; i++) {
        const a = x[i] ?? 0;
        const b = x[i + lag] ?? 0;
        xy += a * b;
        xx += a * a;
        yy += b * b;
      }
      const v = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
      r[lag] = v;
      best = Math.max(best, v);
    }
    if (best < VOICING_R) {
      return Number.NaN;
    }
    // The shortest lag that is a local peak close to the best: avoids octave errors.
    for (let lag = this.#minLag + 1; lag < maxLag; lag++) {
      const c = r[lag] ?? 0;
      const a = r[lag - 1] ?? 0;
      const b = r[lag + 1] ?? 0;
      if (c >= 0.85 * best && c >= a && c >= b) {
        const den = a - 2 * c + b;
        const shift = den < 0 ? (0.5 * (a - b)) / den : 0;
        return 12 * Math.log2(this.#rate / (lag + shift) / 100);
      }
    }
    return Number.NaN;
  }
}
