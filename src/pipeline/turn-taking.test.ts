import { describe, expect, it } from 'vitest';
import { TurnTaking, normalizeText, type TurnTakingOptions } from './turn-taking.js';
import {
  waitForProbability,
  type TurnDetector,
  type TurnEstimate,
} from './turn-detection/index.js';

const OPTS: TurnTakingOptions = {
  minDelayMs: 0,
  maxDelayMs: 2000,
  interruptions: true,
  minInterruptSpeechMs: 300,
  transcriptWaitMs: 300,
  backchannels: ['uh-huh', 'yeah', 'mm-hm'],
  preemptive: false,
  preemptiveMinStability: 0,
};

describe('TurnTaking (pure)', () => {
  it('joins finals split by a short pause into one turn', () => {
    const t = new TurnTaking({ ...OPTS, minDelayMs: 200 });
    t.onSpeechStarted(0);
    t.onSpeechStopped(500, 520);
    expect(t.onFinal('first half', 1, 600)).toEqual([]); // within minDelay of speech end
    t.onSpeechStarted(650);
    t.onSpeechStopped(1200, 1220);
    expect(t.onFinal('second half', 2, 1300)).toEqual([]);
    const [commit] = t.onTick(1400, 1400);
    expect(commit).toMatchObject({
      type: 'commit',
      text: 'first half second half',
      utterance: 1,
      speechEndTsMs: 1200,
    });
  });

  it('asks the STT to flush after the maximum delay without a final', () => {
    const t = new TurnTaking(OPTS);
    t.onSpeechStarted(0);
    t.onSpeechStopped(400, 420);
    expect(t.onTick(2399, 2399)).toEqual([]);
    expect(t.onTick(2400, 2400)).toEqual([{ type: 'flush-stt' }]);
    expect(t.onTick(2420, 2420)).toEqual([]);
  });

  it('interrupts on speech over the agent, but not on a backchannel, a short burst or when disabled', () => {
    const t = new TurnTaking(OPTS);
    t.setAgentActive(true);
    t.onSpeechStarted(1000);
    t.onPartial('yeah', 0.5);
    expect(t.onTick(1400, 1400)).toEqual([]); // backchannel
    t.onSpeechStopped(1400, 1410);
    t.onSpeechStarted(2000);
    expect(t.onTick(2150, 2150)).toEqual([]);
    t.onSpeechStopped(2150, 2160); // 150 ms burst
    t.onSpeechStarted(3000);
    expect(t.onTick(3300, 3300)).toEqual([]); // no transcript yet: wait a little longer
    expect(t.onTick(3600, 3600)).toEqual([{ type: 'interrupt', speechStartTsMs: 3000 }]);
    t.onSpeechStopped(3700, 3700);
    t.setInterruptions(false);
    t.onSpeechStarted(4000);
    t.onPartial('stop right now', 0.5);
    expect(t.onTick(5000, 5000)).toEqual([]);
  });

  it('ignores a backchannel final while the agent speaks', () => {
    const t = new TurnTaking(OPTS);
    t.setAgentActive(true);
    expect(t.onFinal('Uh-huh.', 1, 100)).toEqual([]);
  });

  it('preempts on a stable partial and confirms or discards on the final', () => {
    const t = new TurnTaking({ ...OPTS, preemptive: true, preemptiveMinStability: 0.5 });
    t.onSpeechStarted(0);
    t.onPartial('what time is it', 0.9);
    t.onSpeechStopped(800, 820);
    expect(t.onEndOfUtterance(1300)).toEqual([{ type: 'preempt', text: 'what time is it' }]);
    expect(t.onFinal('What time is it?', 1, 1400).map((a) => a.type)).toEqual([
      'preempt-confirm',
      'commit',
    ]);
    t.onSpeechStarted(2000);
    t.onPartial('book a', 0.9);
    t.onSpeechStopped(2500, 2520);
    expect(t.onEndOfUtterance(3000)[0]?.type).toBe('preempt');
    expect(t.onFinal('book a table', 2, 3100).map((a) => a.type)).toEqual([
      'preempt-discard',
      'commit',
    ]);
  });

  it('normalises transcripts for comparison', () => {
    expect(normalizeText('  Uh-Huh!! ')).toBe('uh huh');
    expect(normalizeText("What's up?")).toBe("what's up");
  });
});

/** A detector whose estimate the test sets: complete (short wait) or mid-thought. */
class ScriptedDetector implements TurnDetector {
  readonly name = 'semantic' as const;
  readonly endsBeforeFinal = true;
  est: TurnEstimate = { probability: 0.9, waitMs: 200 };
  texts: string[] = [];
  resets = 0;
  onAudio(): void {}
  onSpeechStarted(): void {}
  onSpeechStopped(): void {}
  onTranscript(text: string): void {
    this.texts.push(text);
  }
  onProviderEndOfTurn(): void {}
  reset(): void {
    this.resets++;
  }
  estimate(): TurnEstimate {
    return this.est;
  }
  close(): void {}
}

describe('turn-detector seam', () => {
  it('flushes the STT once a detector that ends before the final has waited', () => {
    const d = new ScriptedDetector();
    const t = new TurnTaking({ ...OPTS, backchannels: [], detector: d });
    t.onSpeechStarted(0);
    t.onPartial('book a table', 0.5);
    t.onSpeechStopped(1000, 1100);
    expect(t.onTick(1199, 1199)).toEqual([]);
    expect(t.onTick(1200, 1200)).toEqual([{ type: 'flush-stt' }]);
    const [commit] = t.onFinal('book a table', 1, 1260);
    expect(commit).toMatchObject({
      type: 'commit',
      text: 'book a table',
      detector: 'semantic',
      eotProbability: 0.9,
      waitMs: 200,
    });
    expect(d.texts).toEqual(['book a table', 'book a table']);
    expect(d.resets).toBe(1);
  });

  it('holds a final while the detector says mid-thought, and joins the resumed speech', () => {
    const d = new ScriptedDetector();
    d.est = { probability: 0.1, waitMs: 1500 };
    const t = new TurnTaking({ ...OPTS, backchannels: [], detector: d });
    t.onSpeechStarted(0);
    t.onSpeechStopped(1000, 1100);
    expect(t.onFinal('I would like to', 1, 1500)).toEqual([]);
    expect(t.onTick(2400, 2400)).toEqual([]);
    t.onSpeechStarted(2450);
    t.onSpeechStopped(3000, 3100);
    d.est = { probability: 0.95, waitMs: 200 };
    expect(t.onFinal('order a pizza', 2, 3150)).toEqual([]);
    const [commit] = t.onTick(3200, 3200);
    expect(commit).toMatchObject({ type: 'commit', text: 'I would like to order a pizza' });
  });

  it('keeps the silence rule when no detector is given', () => {
    const t = new TurnTaking({ ...OPTS, maxDelayMs: 2000, minDelayMs: 300 });
    expect(t.detector.name).toBe('silence');
    t.onSpeechStarted(0);
    t.onSpeechStopped(1000, 1100);
    expect(t.onTick(1400, 1400)).toEqual([]); // no final: no early flush
    expect(t.onFinal('hello', 1, 1200)).toEqual([]);
    expect(t.onTick(1300, 1300)[0]).toMatchObject({ type: 'commit', detector: 'silence' });
  });

  it('maps probability to a wait within the bounds', () => {
    const b = { minDelayMs: 100, maxDelayMs: 1100 };
    expect(waitForProbability(0.8, 0.5, b)).toBe(100);
    expect(waitForProbability(0, 0.5, b)).toBe(1100);
    expect(waitForProbability(0.25, 0.5, b)).toBe(600);
  });
});
