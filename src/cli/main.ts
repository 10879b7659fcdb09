#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { auditFiles, verifyAudit } from '../audit/verify.js';
import { runConnect } from './connect.js';
import { runLocal } from './local.js';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  local     run one session through the pipeline in-process (embedded engines)
            --wav FILE         input WAV (PCM16, the pipeline's rate); default: generated speech
            --out FILE         reply audio WAV (default reply.wav)
            --pipeline NAME    pipeline name (default "default")
            --pipelines DIR    pipelines folder (default ./pipelines)
  connect   stream a WAV to a running relay over protocol v1 (WebSocket)
            --url URL          media listener (default ws://127.0.0.1:8080)
            --gateway URL      gateway, for a dev token (default http://127.0.0.1:8081)
            --token TOKEN      client credential (default: POST /v1/tokens/dev)
            --via MODE         header | subprotocol | query (default header)
            --text "SENTENCE"  a typed turn instead of audio (repeat for several)
            --verbose          also print speech events and partial transcripts
            --wav FILE, --out FILE, --pipeline NAME as above
  audit-verify FILE  check an audit log's hash chain (FILE and its rotations FILE.N, oldest
            first); exit 1 and the first broken record when it was altered
  With a development relay it prints which engine runs each stage (real or
  simulated) and things to say.
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
  if (command === 'connect') {
    const { values } = parseArgs({
      args: rest,
      options: {
        url: { type: 'string', default: 'ws://127.0.0.1:8080' },
        gateway: { type: 'string', default: 'http://127.0.0.1:8081' },
        token: { type: 'string' },
        via: { type: 'string', default: 'header' },
        wav: { type: 'string' },
        out: { type: 'string', default: 'reply.wav' },
        pipeline: { type: 'string', default: 'default' },
        text: { type: 'string', multiple: true },
        verbose: { type: 'boolean', default: false },
      },
    });
    const via = values.via;
    if (via !== 'header' && via !== 'subprotocol' && via !== 'query') {
      throw new Error('--via must be header, subprotocol or query');
    }
    await runConnect({
      url: values.url,
      gateway: values.gateway,
      pipeline: values.pipeline,
      token: values.token ?? process.env['VOICE_RELAY_TOKEN'],
      via,
      wav: values.wav,
      out: values.out,
      tailMs: 2000,
      ...(values.text === undefined ? {} : { text: values.text }),
      verbose: values.verbose,
      print: (line) => console.log(line),
    });
    return 0;
  }
  if (command === 'audit-verify' && rest[0] !== undefined) {
    const files = auditFiles(rest[0]);
    if (files.length === 0) {
      throw new Error(`${rest[0]}: no such audit log`);
    }
    const r = verifyAudit(files);
    if (r.ok) {
      console.log(`ok: ${r.records} records in ${r.files.length} file(s)`);
      return 0;
    }
    console.log(
      `broken: ${r.file} line ${r.line}: ${r.reason} (${r.records} records verified before it)`,
    );
    return 1;
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
