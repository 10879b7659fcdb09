import type { PipelineConfig } from '../../config/pipeline-schema.js';
import type { TurnDetector } from './detector.js';
import { SilenceDetector } from './silence.js';

export type { DetectorName, EndpointingBounds, TurnDetector, TurnEstimate } from './detector.js';
export { waitForProbability } from './detector.js';

/** The detector a pipeline's `endpoint` section asks for. */
export function createTurnDetector(config: PipelineConfig): TurnDetector {
  return new SilenceDetector(config.endpoint.minDelayMs);
}
