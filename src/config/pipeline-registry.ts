import { EventEmitter } from 'node:events';
import type { PipelineConfig } from './pipeline-schema.js';
import { loadPipelines } from './pipelines.js';

export interface PipelineRegistryEvents {
  reloaded: [names: string[]];
}

/**
 * The pipelines a process serves. Reload is all-or-nothing: a folder with any bad
 * file is refused with its ConfigError and the previous set keeps serving. Sessions
 * keep the config they started with.
 */
export class PipelineRegistry extends EventEmitter<PipelineRegistryEvents> {
  readonly dir: string;
  #pipelines: ReadonlyMap<string, PipelineConfig>;
  #loadedAtMs: number;

  private constructor(dir: string, pipelines: ReadonlyMap<string, PipelineConfig>) {
    super();
    this.dir = dir;
    this.#pipelines = pipelines;
    this.#loadedAtMs = Date.now();
  }

  static async load(dir: string): Promise<PipelineRegistry> {
    return new PipelineRegistry(dir, await loadPipelines(dir));
  }

  /** A registry over fixed configs (tests). */
  static of(configs: PipelineConfig[], dir = '(inline)'): PipelineRegistry {
    return new PipelineRegistry(dir, new Map(configs.map((c) => [c.name, c])));
  }

  get loadedAtMs(): number {
    return this.#loadedAtMs;
  }

  get(name: string): PipelineConfig | undefined {
    return this.#pipelines.get(name);
  }

  has(name: string): boolean {
    return this.#pipelines.has(name);
  }

  list(): PipelineConfig[] {
    return [...this.#pipelines.values()];
  }

  /** Re-read the folder; throws ConfigError (old set kept) when any file is invalid. */
  async reload(): Promise<string[]> {
    const next = await loadPipelines(this.dir);
    this.#pipelines = next;
    this.#loadedAtMs = Date.now();
    const names = [...next.keys()];
    this.emit('reloaded', names);
    return names;
  }
}
