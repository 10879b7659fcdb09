import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { StageName } from '../frames/events.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import { isEspeakAvailable } from '../engines/espeak/engine.js';
import { startEspeakServer } from '../engines/espeak/server.js';
import { isPocketsphinxAvailable } from '../engines/pocketsphinx/engine.js';
import { startPocketsphinxServer } from '../engines/pocketsphinx/server.js';
import { startReplyServer } from '../engines/reply/server.js';
import { parseEmbedded, type EmbeddedEngine } from '../stages/stage-clients.js';

/** The stage engines a relay process runs itself, on loopback, for `embedded` endpoints. */
export interface EmbeddedEngines {
  /** gRPC target per running engine. */
  readonly targets: Partial<Record<EmbeddedEngine, string>>;
  /** What a plain `embedded` endpoint means per stage (reported at start). */
  readonly auto: Record<StageName, EmbeddedEngine>;
  /** Engines referenced by a pipeline but not installed here (calls to them fail clearly). */
  readonly unavailable: EmbeddedEngine[];
  /** The simulated engines' server, when they are used (tests read what they observed). */
  readonly sim?: SimServer;
  close(): Promise<void>;
}

export interface EngineAvailability {
  espeak: boolean;
  pocketsphinx: boolean;
}

export function detectEngines(): EngineAvailability {
  return { espeak: isEspeakAvailable(), pocketsphinx: isPocketsphinxAvailable() };
}

/**
 * Plain `embedded` uses the real local engines when their binaries are installed
 * (pocketsphinx STT, espeak-ng TTS; the offline reply engine for the LLM) and the
 * simulated ones otherwise.
 */
export function autoEngines(a: EngineAvailability): Record<StageName, EmbeddedEngine> {
  return {
    stt: a.pocketsphinx ? 'pocketsphinx' : 'sim',
    llm: 'reply',
    tts: a.espeak ? 'espeak' : 'sim',
  };
}

/** Which engines the pipelines reference, plain `embedded` resolved by `auto`. */
export function referencedEngines(
  pipelines: readonly PipelineConfig[],
  auto: Record<StageName, EmbeddedEngine>,
): Set<EmbeddedEngine> {
  const used = new Set<EmbeddedEngine>();
  for (const p of pipelines) {
    for (const stage of ['stt', 'llm', 'tts'] as const) {
      for (const e of p.stages[stage].endpoints) {
        const kind = parseEmbedded(e);
        if (kind !== undefined) {
          used.add(kind === 'auto' ? auto[stage] : kind);
        }
      }
    }
  }
  return used;
}

/** Start every embedded engine the pipelines reference, each on its own loopback port. */
export async function startEmbeddedEngines(
  pipelines: readonly PipelineConfig[],
  logger: Logger,
  availability: EngineAvailability = detectEngines(),
): Promise<EmbeddedEngines> {
  const auto = autoEngines(availability);
  const used = referencedEngines(pipelines, auto);
  const targets: Partial<Record<EmbeddedEngine, string>> = {};
  const closers: (() => Promise<void>)[] = [];
  const unavailable: EmbeddedEngine[] = [];
  let sim: SimServer | undefined;
  try {
    if (used.has('sim')) {
      sim = await startSimServer({ host: '127.0.0.1', port: 0 });
      targets.sim = sim.address;
      const s = sim;
      closers.push(() => s.close());
    }
    if (used.has('reply')) {
      const s = await startReplyServer({ host: '127.0.0.1', port: 0 });
      targets.reply = s.address;
      closers.push(() => s.close());
    }
    if (used.has('espeak')) {
      if (availability.espeak) {
        const s = await startEspeakServer({ host: '127.0.0.1', port: 0 });
        targets.espeak = s.address;
        closers.push(() => s.close());
      } else {
        unavailable.push('espeak');
      }
    }
    if (used.has('pocketsphinx')) {
      if (availability.pocketsphinx) {
        const s = await startPocketsphinxServer({ host: '127.0.0.1', port: 0 });
        targets.pocketsphinx = s.address;
        closers.push(() => s.close());
      } else {
        unavailable.push('pocketsphinx');
      }
    }
  } catch (err) {
    for (const c of closers.reverse()) {
      await c();
    }
    throw err;
  }
  for (const kind of unavailable) {
    logger.warn(
      {
        engine: kind,
        install:
          kind === 'espeak'
            ? 'apt install espeak-ng'
            : 'apt install pocketsphinx pocketsphinx-en-us',
      },
      'embedded engine not installed; pipelines using it will fail their calls',
    );
  }
  return {
    targets,
    auto,
    unavailable,
    ...(sim === undefined ? {} : { sim }),
    close: async () => {
      for (const c of closers.reverse()) {
        await c();
      }
    },
  };
}
