/** The command line every provider bridge shares: host, port, base URL, key variable, timeout. */
import { parseArgs } from 'node:util';
import type { EngineLauncher, RunningEngine } from '../main.js';
import { defined, numberOption, portOption } from '../shared/cli-args.js';
import type { ProviderEngineOptions } from './provider.js';

export interface BridgeCliOptions extends ProviderEngineOptions {
  host: string;
  port: number;
  /** The default model (or voice model) when the bridge has one. */
  model?: string;
}

export function bridgeLauncher(
  kind: string,
  defaults: { port: number; baseUrl: string; apiKeyEnv: string; model?: string },
  start: (o: BridgeCliOptions) => Promise<RunningEngine>,
): EngineLauncher {
  const model = defaults.model === undefined ? '' : ` [--model ${defaults.model}]`;
  return {
    summary: `${kind}  [--host H] [--port P (${defaults.port})] [--base-url ${defaults.baseUrl}]${model} [--api-key-env ${defaults.apiKeyEnv}] [--connect-timeout-ms 5000]`,
    async start(args) {
      const { values } = parseArgs({
        args,
        options: {
          host: { type: 'string', default: '127.0.0.1' },
          port: { type: 'string' },
          'base-url': { type: 'string' },
          model: { type: 'string' },
          'api-key-env': { type: 'string' },
          'connect-timeout-ms': { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      });
      if (values.model !== undefined && defaults.model === undefined) {
        throw new Error(`${kind} takes no --model`);
      }
      return start({
        host: values.host,
        port: portOption(values.port, defaults.port),
        ...defined({
          baseUrl: values['base-url'],
          model: values.model,
          apiKeyEnv: values['api-key-env'],
          connectTimeoutMs: numberOption(values['connect-timeout-ms'], 'connect-timeout-ms'),
        }),
      });
    },
  };
}
