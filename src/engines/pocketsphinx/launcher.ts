import { parseArgs } from 'node:util';
import type { EngineLauncher } from '../main.js';
import { defined, numberOption, portOption } from '../shared/cli-args.js';
import { isPocketsphinxAvailable } from './engine.js';
import { POCKETSPHINX_DEFAULT_PORT, startPocketsphinxServer } from './server.js';

export const pocketsphinxLauncher: EngineLauncher = {
  summary: `pocketsphinx  [--host H] [--port P (${POCKETSPHINX_DEFAULT_PORT})] [--hmm DIR] [--lm FILE] [--dict FILE] [--max-failures 3] [--binary pocketsphinx_continuous]`,
  async start(args) {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        hmm: { type: 'string' },
        lm: { type: 'string' },
        dict: { type: 'string' },
        'max-failures': { type: 'string' },
        binary: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const options = defined({
      binary: values.binary,
      hmm: values.hmm,
      lm: values.lm,
      dict: values.dict,
      maxConsecutiveFailures: numberOption(values['max-failures'], 'max-failures'),
    });
    if (!isPocketsphinxAvailable(options)) {
      throw new Error(
        'pocketsphinx_continuous, mkfifo or the acoustic model not found (Debian: apt-get install pocketsphinx pocketsphinx-en-us)',
      );
    }
    return startPocketsphinxServer({
      ...options,
      host: values.host,
      port: portOption(values.port, POCKETSPHINX_DEFAULT_PORT),
    });
  },
};
