import { describe, expect, it } from 'vitest';
import { ProsodyTracker } from './prosody.js';
import { SemanticDetector } from './semantic.js';
import { textCompleteness } from './text-cues.js';

const RATE = 16000;

/** 20 ms frames of a vowel-like tone whose pitch glides from f0a to f0b Hz over the last 400 ms. */
function glide(ms: number, f0: number, f0End: number): Buffer[] {
  const frames: Buffer[] = [];
  let phase = 0;
  const n = (ms / 1000) * RATE;
  for (let f = 0; f < n / 320; f++) {
    const b = Buffer.alloc(640);
    for (let i = 0; i < 320; i++) {
      const t = (f * 320 + i) / RATE;
      const into = Math.max(0, t - (ms / 1000 - 0.4)) / 0.4;
      const hz = f0 + (f0End - f0) * into;
      phase += (2 * Math.PI * hz) / RATE;
      const v = 0.5 * Math.sin(phase) + 0.25 * Math.sin(2 * phase) + 0.12 * Math.sin(3 * phase);
      b.writeInt16LE(Math.round(v * 8000), i * 2);
    }
    frames.push(b);
  }
  return frames;
}

function cuesOf(frames: readonly Buffer[]): ReturnType<ProsodyTracker['cues']> {
  const p = new ProsodyTracker({ sampleRateHz: RATE, voicedDbfs: -40 });
  frames.forEach((f, i) => p.push(f, i * 20, 20));
  return p.cues(frames.length * 20);
}

describe('text cues', () => {
  it('reads trailing conjunctions, prepositions and fillers as mid-thought', () => {
    for (const t of ['I want to go and', 'book a flight to', 'it is for the', 'so I was um']) {
      expect(textCompleteness(t), t).toBeLessThan(0.1);
    }
  });

  it('reads finished statements and short answers as complete', () => {
    for (const t of ['Book a table for two at seven.', 'Yes please', 'No', 'I think so']) {
      expect(textCompleteness(t), t).toBeGreaterThanOrEqual(0.7);
    }
  });

  it('reads "is that" as open unless it ends a question', () => {
    expect(textCompleteness('the problem is that')).toBeLessThan(0.2);
    expect(textCompleteness('what is that')).toBeGreaterThan(0.7);
    expect(textCompleteness('we are four adults and so')).toBeLessThan(0.1);
  });

  it('follows a dictated number until it has the expected length', () => {
    expect(textCompleteness('my phone number is five five five two one nine')).toBeLessThan(0.3);
    expect(
      textCompleteness('my phone number is five five five two one nine four four three eight'),
    ).toBeGreaterThanOrEqual(0.6);
    expect(textCompleteness('the zip code is 94103')).toBeGreaterThanOrEqual(0.6);
  });

  it('sees a list announced and not yet closed', () => {
    expect(textCompleteness('I need two things first cancel my order')).toBeLessThan(0.3);
    expect(textCompleteness('first cancel my order and second send a refund')).toBeGreaterThan(0.6);
  });
});

describe('prosody', () => {
  it('measures a final pitch fall and a final rise with opposite signs', () => {
    const fall = cuesOf(glide(1200, 160, 110));
    const rise = cuesOf(glide(1200, 160, 210));
    expect(fall.finalPitchSt).toBeLessThan(-2);
    expect(fall.pitchSlopeSt).toBeLessThan(-1);
    expect(rise.finalPitchSt).toBeGreaterThan(2);
    expect(rise.pitchSlopeSt).toBeGreaterThan(1);
    expect(fall.voicedFrames).toBe(60);
    // A statement ends at the bottom of the speaker's range; a rise ends well above it.
    expect(rise.aboveFloorSt).toBeGreaterThan(fall.aboveFloorSt + 3);
    // The final low: well under the speaker's median after a fall, above it after a rise.
    expect(fall.finalMinPitchSt).toBeLessThan(-2);
    expect(rise.finalMinPitchSt).toBeGreaterThan(fall.finalMinPitchSt + 4);
  });
});

describe('SemanticDetector', () => {
  const make = (): SemanticDetector =>
    new SemanticDetector({
      bounds: { minDelayMs: 200, maxDelayMs: 2000 },
      threshold: 0.7,
      sampleRateHz: RATE,
    });

  it('trusts the transcript once words arrive after speech end, before the STT lag', () => {
    const d = make();
    d.onSpeechStarted(0);
    d.onTranscript('I would like a coffee', false);
    d.onSpeechStopped(1000);
    expect(d.evidence(1100).provisional).toBe(true);
    d.onTranscript('I would like a coffee please', false);
    expect(d.evidence(1150).provisional).toBe(false);
    d.reset();
    d.onSpeechStarted(2000);
    d.onTranscript('yes', false);
    d.onSpeechStopped(2400);
    // No new words: provisional until the lag (500 ms by default) has passed.
    expect(d.evidence(2800).provisional).toBe(true);
    expect(d.evidence(2900).provisional).toBe(false);
  });

  it('waits longer after "and" than after a finished sentence', () => {
    const d = make();
    d.onSpeechStarted(0);
    d.onTranscript('I would like a coffee and', false);
    d.onSpeechStopped(1000);
    const open = d.estimate(1600).waitMs;
    d.onTranscript('I would like a coffee and a croissant', true);
    const done = d.estimate(1600).waitMs;
    expect(open).toBeGreaterThan(1500);
    expect(done).toBeLessThan(open);
    d.reset();
    d.onSpeechStarted(2000);
    expect(d.estimate(2100)).toEqual({ probability: 0, waitMs: 2000 });
  });

  it('takes a provider end-of-turn signal as evidence, until speech resumes', () => {
    const d = make();
    d.onSpeechStarted(0);
    d.onTranscript('so the thing is', false);
    d.onSpeechStopped(1000);
    expect(d.estimate(1600).waitMs).toBeGreaterThan(1000);
    d.onProviderEndOfTurn(0.95);
    expect(d.estimate(1600)).toEqual({ probability: 0.95, waitMs: 200 });
    d.onSpeechStarted(1700);
    d.onSpeechStopped(2800);
    expect(d.estimate(3400).probability).toBeLessThan(0.5);
  });

  it('holds its judgement of the words until the STT can have caught up with them', () => {
    const d = make();
    d.onSpeechStarted(0);
    d.onTranscript('I would like to book a flight', false); // "to" not recognized yet
    d.onSpeechStopped(1000);
    expect(d.evidence(1100).provisional).toBe(true);
    const early = d.estimate(1100).probability;
    expect(d.evidence(1600).provisional).toBe(false);
    expect(d.estimate(1600).probability).toBeGreaterThan(early);
    d.onTranscript('I would like to book a flight to', false);
    expect(d.estimate(1600).probability).toBeLessThan(early);
  });

  it('reads a short burst of speech that added no word as a hesitation', () => {
    const d = make();
    d.onSpeechStarted(0);
    d.onTranscript('send it to my office', false);
    d.onSpeechStopped(1000);
    const complete = d.estimate(1600).probability;
    d.onSpeechStarted(1900); // "um", dropped by the STT
    d.onSpeechStopped(2200);
    expect(d.evidence(2800).noNewWords).toBe(true);
    expect(d.estimate(2800).probability).toBeLessThan(complete);
    d.onSpeechStarted(3200); // "actually": a new word
    d.onTranscript('send it to my office actually', false);
    d.onSpeechStopped(3500);
    expect(d.evidence(4100).noNewWords).toBe(false);
  });
});
