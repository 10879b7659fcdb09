import type { StageName } from '../frames/events.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';

/** The stage engines a relay process runs itself, on loopback, for `embedded` endpoints. */
export interface EmbeddedEngines {
  /** gRPC target per stage. */
  readonly targets: Record<StageName, string>;
  /** Which engine implements each stage (reported at start). */
  readonly kinds: Record<StageName, string>;
  /** The simulated engines' server, when they are used (tests read what they observed). */
  readonly sim?: SimServer;
  close(): Promise<void>;
}

/**
 * Start the embedded engines: the simulated STT, LLM and TTS on one loopback gRPC
 * server. Per-pipeline latency profiles travel with each call (`sim:` in the
 * pipeline file), so one server serves every pipeline.
 */
export async function startEmbeddedEngines(host = '127.0.0.1'): Promise<EmbeddedEngines> {
  const sim = await startSimServer({ host, port: 0 });
  return {
    targets: { stt: sim.address, llm: sim.address, tts: sim.address },
    kinds: { stt: 'sim', llm: 'sim', tts: 'sim' },
    sim,
    close: () => sim.close(),
  };
}
