import type { TurnMetrics } from '../frames/events.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Observe a finished turn's waterfall in the histograms whose clock points are only
 * known at the end (LLM TTFT and TTS TTFA are observed as they happen).
 */
export function observeTurn(metrics: Metrics, m: TurnMetrics): void {
  if (m.endpointMs !== null) {
    metrics.endpointDelay.observe(m.endpointMs / 1000);
  }
  if (m.sttFinalMs !== null) {
    metrics.sttFinal.observe(m.sttFinalMs / 1000);
  }
  if (m.voiceToVoiceMs !== null) {
    metrics.voiceToVoice.labels('relay').observe(m.voiceToVoiceMs / 1000);
  }
  if (m.voiceToVoiceEdgeMs !== null) {
    metrics.voiceToVoice.labels('edge').observe(m.voiceToVoiceEdgeMs / 1000);
  }
}

/** A one-line waterfall for humans (CLI output). */
export function formatWaterfall(m: TurnMetrics): string {
  const f = (v: number | null): string => (v === null ? '   -  ' : `${v.toFixed(0).padStart(5)} `);
  return [
    `turn ${m.turnId}:`,
    `endpoint ${f(m.endpointMs)}ms`,
    `stt-final ${f(m.sttFinalMs)}ms`,
    `llm-ttft ${f(m.llmTtftMs)}ms`,
    `tts-ttfa ${f(m.ttsTtfaMs)}ms`,
    `voice-to-voice ${f(m.voiceToVoiceMs)}ms`,
    m.budgetsExceeded.length > 0 ? `budget-exceeded: ${m.budgetsExceeded.join(',')}` : '',
    m.interrupted ? 'interrupted' : '',
  ]
    .filter((s) => s !== '')
    .join('  ');
}
