import { parseArgs } from 'node:util';
import type { EngineLauncher } from '../main.js';
import { defined, numberOption, portOption } from '../shared/cli-args.js';
import { isEspeakAvailable } from './engine.js';
import { ESPEAK_DEFAULT_PORT, startEspeakServer } from './server.js';

export const espeakLauncher: EngineLauncher = {
  summary: `espeak  [--host H] [--port P (${ESPEAK_DEFAULT_PORT})] [--voice en-us] [--chunk-ms 100] [--binary espeak-ng]`,
  async start(args) {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        voice: { type: 'string' },
        'chunk-ms': { type: 'string' },
        binary: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const binary = values.binary ?? 'espeak-ng';
    if (!isEspeakAvailable(binary)) {
      throw new Error(`${binary} not found (Debian: apt-get install espeak-ng)`);
    }
    return startEspeakServer(
      defined({
        host: values.host,
        port: portOption(values.port, ESPEAK_DEFAULT_PORT),
        binary,
        defaultVoice: values.voice,
        chunkMs: numberOption(values['chunk-ms'], 'chunk-ms'),
      }),
    );
  },
};
