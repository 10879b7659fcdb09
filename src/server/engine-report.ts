import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { StageName } from '../frames/events.js';
import { parseEmbedded } from '../stages/stage-clients.js';
import type { EmbeddedEngines } from './embedded-engines.js';

/** What runs a pipeline's stage: a real engine, the simulated one, a missing one, or a remote target. */
export interface StageEngine {
  stage: StageName;
  /** Engine name (`pocketsphinx`, `sim`, …) or the gRPC target of a remote engine. */
  engine: string;
  status: 'real' | 'simulated' | 'missing' | 'remote';
}

/** The engine behind each stage of a pipeline (its first endpoint), as the CLI and demo page show it. */
export function pipelineEngines(
  pipeline: PipelineConfig,
  engines: Pick<EmbeddedEngines, 'auto' | 'unavailable'> | undefined,
): StageEngine[] {
  return (['stt', 'llm', 'tts'] as const).map((stage) => {
    const endpoint = pipeline.stages[stage].endpoints[0] ?? '';
    const kind = parseEmbedded(endpoint);
    if (kind === undefined) {
      return { stage, engine: endpoint, status: 'remote' };
    }
    const engine = kind === 'auto' ? (engines?.auto[stage] ?? 'sim') : kind;
    const status =
      engine === 'sim'
        ? 'simulated'
        : (engines?.unavailable.includes(engine) ?? false)
          ? 'missing'
          : 'real';
    return { stage, engine, status };
  });
}

/** One line: `stt pocketsphinx (real) · llm reply (real) · tts sim (simulated)`. */
export function describeEngines(stages: readonly StageEngine[]): string {
  return stages.map((s) => `${s.stage} ${s.engine} (${s.status})`).join(' · ');
}
