import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { StageName } from '../frames/events.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import { isEspeakAvailable } from '../engines/espeak/engine.js';
import { startEspeakServer } from '../engines/espeak/server.js';
import { isPocketsphinxAvailable } from '../engines/pocketsphinx/engine.js';
import { startPocketsphinxServer } from '../engines/pocketsphinx/server.js';
import { startReplyServer } from '../engines/reply/server.js';
import { startCartesiaServer } from '../engines/cartesia/server.js';
import { startDeepgramServer } from '../engines/deepgram/server.js';
import { startElevenLabsServer } from '../engines/elevenlabs/server.js';
import { startOpenAiServer } from '../engines/openai/server.js';
import { startOpenAiSpeechServer } from '../engines/openai-speech/server.js';
import { startOpenAiSttServer } from '../engines/openai-stt/server.js';
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

type BridgeEngine =
  'deepgram' | 'openai-stt' | 'openai' | 'elevenlabs' | 'cartesia' | 'openai-speech';

/**
 * The provider bridges a relay can run in-process (`embedded:NAME`). Each reads its
 * base URL from the first variable set (else the provider's public API) and its key
 * from its default variable or the one the stage's `<name>.apiKeyEnv` option names,
 * on every call.
 */
export const EMBEDDED_BRIDGES: Record<
  BridgeEngine,
  {
    baseUrlEnv: readonly string[];
    start(o: { host: string; port: number; baseUrl?: string }): Promise<{
      address: string;
      close(): Promise<void>;
    }>;
  }
> = {
  deepgram: { baseUrlEnv: ['DEEPGRAM_BASE_URL'], start: startDeepgramServer },
  'openai-stt': {
    baseUrlEnv: ['OPENAI_STT_BASE_URL', 'OPENAI_BASE_URL'],
    start: startOpenAiSttServer,
  },
  openai: { baseUrlEnv: ['OPENAI_BASE_URL'], start: startOpenAiServer },
  elevenlabs: { baseUrlEnv: ['ELEVENLABS_BASE_URL'], start: startElevenLabsServer },
  cartesia: { baseUrlEnv: ['CARTESIA_BASE_URL'], start: startCartesiaServer },
  'openai-speech': {
    baseUrlEnv: ['OPENAI_SPEECH_BASE_URL', 'OPENAI_BASE_URL'],
    start: startOpenAiSpeechServer,
  },
};

async function startBridge(
  kind: BridgeEngine,
  env: NodeJS.ProcessEnv,
): Promise<{ address: string; close(): Promise<void> }> {
  const b = EMBEDDED_BRIDGES[kind];
  const name = b.baseUrlEnv.find((n) => (env[n] ?? '') !== '');
  const baseUrl = name === undefined ? undefined : env[name];
  try {
    return await b.start({
      host: '127.0.0.1',
      port: 0,
      ...(baseUrl === undefined ? {} : { baseUrl }),
    });
  } catch (err) {
    if (err instanceof TypeError && name !== undefined) {
      throw new Error(`environment ${name}: not a valid URL for the embedded ${kind} engine`);
    }
    throw err;
  }
}

/** Embedded engines another process serves: `embedded:NAME` endpoints dial these targets. */
export interface ExternalEngines {
  /** The simulated engines (`npm run engine -- sim`), `host:port`. */
  sim?: string;
}

/**
 * Start every embedded engine the pipelines reference, each on its own loopback port,
 * except those `external` names: their endpoints dial the given target instead.
 */
export async function startEmbeddedEngines(
  pipelines: readonly PipelineConfig[],
  logger: Logger,
  availability: EngineAvailability = detectEngines(),
  env: NodeJS.ProcessEnv = process.env,
  external: ExternalEngines = {},
): Promise<EmbeddedEngines> {
  const auto = autoEngines(availability);
  const used = referencedEngines(pipelines, auto);
  const targets: Partial<Record<EmbeddedEngine, string>> = {};
  const closers: (() => Promise<void>)[] = [];
  const unavailable: EmbeddedEngine[] = [];
  let sim: SimServer | undefined;
  try {
    if (used.has('sim') && external.sim !== undefined) {
      targets.sim = external.sim;
    } else if (used.has('sim')) {
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
    for (const kind of Object.keys(EMBEDDED_BRIDGES) as BridgeEngine[]) {
      if (used.has(kind)) {
        const s = await startBridge(kind, env);
        targets[kind] = s.address;
        closers.push(() => s.close());
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
