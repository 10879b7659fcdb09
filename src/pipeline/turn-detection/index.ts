import type { PipelineConfig } from '../../config/pipeline-schema.js';
import type { TurnDetector } from './detector.js';
import { SemanticDetector } from './semantic.js';
import { SilenceDetector } from './silence.js';
import { RemoteTurnDetector, type RemoteEvent } from './remote.js';

export type { DetectorName, EndpointingBounds, TurnDetector, TurnEstimate } from './detector.js';
export { waitForProbability } from './detector.js';
export { SemanticDetector, type SemanticOptions } from './semantic.js';
export { textCompleteness } from './text-cues.js';
export { RemoteTurnDetector, type RemoteEvent, type RemoteOptions } from './remote.js';

/** The detector a pipeline's `endpoint` section asks for. */
export function createTurnDetector(
  config: PipelineConfig,
  sessionId: string,
  onRemoteEvent?: (event: RemoteEvent) => void,
): TurnDetector {
  const e = config.endpoint;
  if (e.detector === 'silence') {
    return new SilenceDetector(e.minDelayMs);
  }
  const bounds = { minDelayMs: e.minDelayMs, maxDelayMs: e.maxDelayMs };
  const semantic = new SemanticDetector({
    bounds,
    threshold: e.threshold,
    sampleRateHz: config.audio.sampleRateHz,
    sttLagMs: e.sttLagMs,
    ...(config.vad.engine === 'energy' && config.vad.threshold !== undefined
      ? { voicedDbfs: config.vad.threshold }
      : {}),
  });
  if (e.detector === 'semantic' || e.grpc === undefined) {
    return semantic;
  }
  return new RemoteTurnDetector({
    target: e.grpc.target,
    budgetMs: e.grpc.budgetMs,
    bounds,
    threshold: e.threshold,
    sessionId,
    language: config.stages.stt.language,
    sampleRateHz: config.audio.sampleRateHz,
    fallback: semantic,
    ...(onRemoteEvent === undefined ? {} : { onEvent: onRemoteEvent }),
  });
}
