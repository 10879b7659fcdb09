import { describe, expect, it } from 'vitest';
import { nowMs } from '../core/clock.js';
import { createMetrics } from '../observability/metrics.js';
import { EchoFilter, echoSimilarity } from './echo-filter.js';
import { TurnTaking } from './turn-taking.js';

const reply = { spokenText: 'Sure. Let me tell you a story about a dragon.' };

describe('echo filter', () => {
  it('scores the share of transcript words found in order in what the agent said', () => {
    expect(
      echoSimilarity(['tell', 'you', 'a', 'story'], ['let', 'me', 'tell', 'you', 'a', 'story']),
    ).toBe(1);
    expect(echoSimilarity(['wait', 'stop'], ['let', 'me', 'tell'])).toBe(0);
    expect(echoSimilarity([], ['a'])).toBe(0);
  });

  it('drops and counts transcripts of speech that played within the window only', async () => {
    const metrics = createMetrics();
    const echo = new EchoFilter(4_000, 0.8, metrics);
    echo.played(reply, nowMs() - 10_000);
    expect(echo.isEcho('let me tell you a story', 'final')).toBe(false);
    echo.played(reply, nowMs());
    expect(echo.isEcho('Let me tell you, a story!', 'final')).toBe(true);
    expect(echo.isEcho('wait stop please', 'partial')).toBe(false);
    const dropped = await metrics.echoDropped.get();
    expect(dropped.values.map((v) => [v.labels['kind'], v.value])).toEqual([['final', 1]]);
  });

  it('never lets echo start a turn or a barge-in; other speech still interrupts', () => {
    const echo = new EchoFilter(4_000, 0.8, createMetrics());
    echo.played(reply, nowMs() + 5_000);
    const taking = new TurnTaking({
      minDelayMs: 0,
      maxDelayMs: 3_000,
      interruptions: true,
      minInterruptSpeechMs: 100,
      transcriptWaitMs: 100,
      backchannels: [],
      preemptive: false,
      preemptiveMinStability: 0,
      echo,
    });
    taking.setAgentActive(true);
    taking.onSpeechStarted(0);
    expect(taking.onPartial('sure let me', 0.5)).toEqual([]);
    expect(taking.onTick(1_000, 1_000)).toEqual([]);
    expect(taking.onFinal('sure let me tell you a story', 1, 1_000)).toEqual([]);
    taking.onSpeechStopped(1_000, 1_000);
    expect(taking.onTick(2_000, 2_000)).toEqual([]);
    taking.onSpeechStarted(3_000);
    taking.onPartial('wait stop', 0.5);
    expect(taking.onTick(3_200, 3_200)).toEqual([{ type: 'interrupt', speechStartTsMs: 3_000 }]);
  });
});
