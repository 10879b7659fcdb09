import type { PipelineConfig } from '../../config/pipeline-schema.js';
import type { TurnDetector } from './detector.js';
import { SemanticDetector } from './semantic.js';
import { SilenceDetector } from './silence.js';

export type { DetectorName, EndpointingBounds, TurnDetector, TurnEstimate } from './detector.js';
export { waitForProbability } from './detector.js';
export { SemanticDetector, type SemanticOptions } from './semantic.js';
export { textCompleteness } from './text-cues.js';

/** The detector a pipeline's `endpoint` section asks for. */
export function createTurnDetector(config: PipelineConfig): TurnDetector {
  const e = config.endpoint;
  if (e.detector === 'semantic') {
    return new SemanticDetector({
      bounds: { minDelayMs: e.minDelayMs, maxDelayMs: e.maxDelayMs },
      threshold: e.threshold,
      sampleRateHz: config.audio.sampleRateHz,
      ...(config.vad.engine === 'energy' && config.vad.threshold !== undefined
        ? { voicedDbfs: config.vad.threshold }
        : {}),
    });
  }
  return new SilenceDetector(e.minDelayMs);
}
