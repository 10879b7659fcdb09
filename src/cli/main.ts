#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runLocal } from './local.js';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  local     run one session through the pipeline in-process (embedded engines)
            --wav FILE         input WAV (PCM16, the pipeline's rate); default: generated speech
            --out FILE         reply audio WAV (default reply.wav)
            --pipeline NAME    pipeline name (default "default")
            --pipelines DIR    pipelines folder (default ./pipelines)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'local') {
    const { values } = parseArgs({
      args: rest,
      options: {
        wav: { type: 'string' },
        out: { type: 'string', default: 'reply.wav' },
        pipeline: { type: 'string', default: 'default' },
        pipelines: { type: 'string', default: 'pipelines' },
      },
    });
    await runLocal({
      pipelinesDir: values.pipelines,
      pipeline: values.pipeline,
      wav: values.wav,
      out: values.out,
      tailMs: 2000,
      print: (line) => console.log(line),
    });
    return 0;
  }
  console.error(USAGE);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
