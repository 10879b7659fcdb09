import { describe, expect, it } from 'vitest';
import { TurnTaking, normalizeText, type TurnTakingOptions } from './turn-taking.js';

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
