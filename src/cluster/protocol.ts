import { z } from 'zod';

/** Environment the primary gives each worker it forks. */
export const WORKER_ENV = {
  /** 1..N: the worker's slot (a restarted worker keeps its slot). */
  index: 'VOICE_RELAY_WORKER_INDEX',
  /** The box's node id; a worker's own is `<node>-w<index>`. */
  node: 'VOICE_RELAY_CLUSTER_NODE',
} as const;

export function workerNodeId(base: string, index: number): string {
  return `${base}-w${index}`;
}

/** Worker → primary once its listeners are up. */
export const readySchema = z.object({ vr: z.literal('ready'), media: z.string() });
