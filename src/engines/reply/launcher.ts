import { parseArgs } from 'node:util';
import type { EngineLauncher } from '../main.js';
import { defined, numberOption, portOption } from '../shared/cli-args.js';
import { REPLY_DEFAULT_PORT, startReplyServer } from './server.js';

export const replyLauncher: EngineLauncher = {
  summary: `reply  [--host H] [--port P (${REPLY_DEFAULT_PORT})] [--first-token-ms 20] [--inter-token-ms 30] [--time-zone Europe/Paris]`,
  async start(args) {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        'first-token-ms': { type: 'string' },
        'inter-token-ms': { type: 'string' },
        'time-zone': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    return startReplyServer(
      defined({
        host: values.host,
        port: portOption(values.port, REPLY_DEFAULT_PORT),
        firstTokenMs: numberOption(values['first-token-ms'], 'first-token-ms'),
        interTokenMs: numberOption(values['inter-token-ms'], 'inter-token-ms'),
        timeZone: values['time-zone'],
      }),
    );
  },
};
