import type { ServerEvent } from '../frames/events.js';
import { formatWaterfall } from '../pipeline/turn-metrics.js';

/** One human-readable line for the events a CLI user cares about (undefined for the rest). */
export function describeEvent(ev: ServerEvent, verbose = false): string | undefined {
  if (verbose) {
    switch (ev.type) {
      case 'speech.started':
        return '        (speech started)';
      case 'speech.stopped':
        return '        (speech stopped)';
      case 'transcript.partial':
        return `        … ${ev.text}`;
      default:
        break;
    }
  }
  switch (ev.type) {
    case 'transcript.final':
      return ev.text.trim() === '' ? "you:    (didn't catch that)" : `you:    ${ev.text}`;
    case 'response.done':
      return `agent:  ${ev.text}`;
    case 'response.interrupted':
      return `agent (interrupted, heard): ${ev.heardText}`;
    case 'budget.exceeded':
      return `budget exceeded: ${ev.stage} ${ev.elapsedMs.toFixed(0)} ms > ${ev.budgetMs} ms (${ev.action})`;
    case 'error':
      return `error: ${ev.code} ${ev.message}`;
    case 'turn.metrics':
      return formatWaterfall(ev);
    case 'session.closing':
      return `session closing: ${ev.reason} (${ev.code})`;
    default:
      return undefined;
  }
}
