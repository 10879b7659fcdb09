import { parseArgs } from 'node:util';
import type { EngineLauncher } from '../main.js';
import { defined, numberOption, portOption } from '../shared/cli-args.js';
import { OPENAI_DEFAULT_PORT, startOpenAiServer } from './server.js';

export const openAiLauncher: EngineLauncher = {
  summary: `openai  [--host H] [--port P (${OPENAI_DEFAULT_PORT})] [--base-url https://api.openai.com/v1] [--model gpt-4o-mini] [--api-key-env OPENAI_API_KEY] [--first-token-timeout-ms 10000] [--max-retries 3] [--max-tokens-field auto|max_tokens|max_completion_tokens]`,
  async start(args) {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        'base-url': { type: 'string' },
        model: { type: 'string' },
        'api-key-env': { type: 'string' },
        'first-token-timeout-ms': { type: 'string' },
        'max-retries': { type: 'string' },
        'max-tokens-field': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    return startOpenAiServer(
      defined({
        host: values.host,
        port: portOption(values.port, OPENAI_DEFAULT_PORT),
        baseUrl: values['base-url'],
        model: values.model,
        apiKeyEnv: values['api-key-env'],
        firstTokenTimeoutMs: numberOption(
          values['first-token-timeout-ms'],
          'first-token-timeout-ms',
        ),
        maxRetries: numberOption(values['max-retries'], 'max-retries'),
        maxTokensField: tokensFieldOption(values['max-tokens-field']),
      }),
    );
  },
};

function tokensFieldOption(
  value: string | undefined,
): 'auto' | 'max_tokens' | 'max_completion_tokens' | undefined {
  if (
    value === undefined ||
    value === 'auto' ||
    value === 'max_tokens' ||
    value === 'max_completion_tokens'
  ) {
    return value;
  }
  throw new Error(
    `invalid --max-tokens-field ${value} (auto, max_tokens or max_completion_tokens)`,
  );
}
