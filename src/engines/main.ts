/**
 * Standalone stage engines: `npm run engine -- <kind> [options]`.
 *
 *   npm run engine -- sim --port 50051 [--host 127.0.0.1] [--profile profiles.json]
 *                         [--engines stt,llm,tts] [--grace-ms 500]
 *   npm run engine -- pocketsphinx [--port 50061]   (STT, needs pocketsphinx + pocketsphinx-en-us)
 *   npm run engine -- reply [--port 50062]          (offline rule-based LLM)
 *   npm run engine -- espeak [--port 50063]         (TTS, needs espeak-ng)
 *   npm run engine -- openai [--port 50064] [--base-url URL] [--model M] [--api-key-env VAR]
 *   npm run engine -- deepgram [--port 50065] [--base-url wss://api.deepgram.com] [--model nova-3]
 *   npm run engine -- elevenlabs [--port 50066] [--model eleven_flash_v2_5] [--api-key-env VAR]
 *   npm run engine -- cartesia [--port 50067] [--model sonic-3] [--api-key-env VAR]
 *   npm run engine -- openai-speech [--port 50068] [--base-url URL] [--model gpt-4o-mini-tts]
 *   npm run engine -- openai-stt [--port 50069] [--base-url URL] [--model gpt-4o-mini-transcribe]
 *
 * Prints one line `<kind> engine listening on <host:port>` once serving;
 * SIGTERM / SIGINT close the server and exit 0. Engine kinds are looked up by
 * name in ENGINE_LAUNCHERS: a new kind (espeak, pocketsphinx, openai...) adds
 * a launcher that parses its own options and returns a running engine.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { validateOverrides, type SimEngineKind, type SimProfileOverrides } from './sim/profiles.js';
import { startSimServer } from './sim/server.js';
import { cartesiaLauncher } from './cartesia/launcher.js';
import { deepgramLauncher } from './deepgram/launcher.js';
import { elevenLabsLauncher } from './elevenlabs/launcher.js';
import { espeakLauncher } from './espeak/launcher.js';
import { openAiLauncher } from './openai/launcher.js';
import { openAiSpeechLauncher } from './openai-speech/launcher.js';
import { openAiSttLauncher } from './openai-stt/launcher.js';
import { pocketsphinxLauncher } from './pocketsphinx/launcher.js';
import { replyLauncher } from './reply/launcher.js';

export interface RunningEngine {
  /** `host:port` clients dial. */
  readonly address: string;
  close(): Promise<void>;
}

export interface EngineLauncher {
  /** One line for the usage text. */
  readonly summary: string;
  /** Parse the kind's own arguments (after the kind) and start serving. */
  start(args: string[]): Promise<RunningEngine>;
}

const SIM_ENGINES: readonly SimEngineKind[] = ['stt', 'llm', 'tts'];

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid --port ${value}`);
  }
  return port;
}

const simLauncher: EngineLauncher = {
  summary:
    'sim  [--host H] [--port P] [--profile file.json|yaml] [--engines stt,llm,tts] [--grace-ms N]',
  async start(args) {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        profile: { type: 'string' },
        engines: { type: 'string' },
        'grace-ms': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    let profiles: SimProfileOverrides = {};
    if (values.profile !== undefined) {
      const text = await readFile(values.profile, 'utf8');
      const raw: unknown = /\.ya?ml$/i.test(values.profile) ? parseYaml(text) : JSON.parse(text);
      profiles = validateOverrides(raw);
    }
    const engines = (values.engines ?? SIM_ENGINES.join(','))
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    for (const e of engines) {
      if (!SIM_ENGINES.includes(e as SimEngineKind)) {
        throw new Error(`unknown sim engine ${e} (expected ${SIM_ENGINES.join(', ')})`);
      }
    }
    const grace = values['grace-ms'] === undefined ? undefined : Number(values['grace-ms']);
    return startSimServer({
      ...profiles,
      engines: engines as SimEngineKind[],
      host: values.host,
      port: parsePort(values.port, 50051),
      ...(grace !== undefined && Number.isFinite(grace) ? { shutdownGraceMs: grace } : {}),
    });
  },
};

export const ENGINE_LAUNCHERS: Readonly<Record<string, EngineLauncher>> = {
  sim: simLauncher,
  espeak: espeakLauncher,
  pocketsphinx: pocketsphinxLauncher,
  openai: openAiLauncher,
  reply: replyLauncher,
  deepgram: deepgramLauncher,
  elevenlabs: elevenLabsLauncher,
  cartesia: cartesiaLauncher,
  'openai-speech': openAiSpeechLauncher,
  'openai-stt': openAiSttLauncher,
};

function usage(): string {
  const kinds = Object.entries(ENGINE_LAUNCHERS).map(([, l]) => `  ${l.summary}`);
  return ['usage: npm run engine -- <kind> [options]', '', 'kinds:', ...kinds].join('\n');
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Run the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === undefined || kind === '--help' || kind === '-h') {
    console.log(usage());
    return kind === undefined ? 2 : 0;
  }
  const launcher = ENGINE_LAUNCHERS[kind];
  if (launcher === undefined) {
    console.error(`unknown engine kind ${kind}\n${usage()}`);
    return 2;
  }
  let engine: RunningEngine;
  try {
    engine = await launcher.start(rest);
  } catch (err) {
    console.error(
      `cannot start ${kind} engine: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
  console.log(`${kind} engine listening on ${engine.address}`);
  await waitForSignal();
  await engine.close();
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
