import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { replayTable } from '../media/jitter/replay.js';
import { benchPipelineCost } from './pipeline-cost.js';

/**
 * npm run bench [-- --smoke] [--out DIR]: runs every benchmark, prints a Markdown
 * table and writes JSON + Markdown to bench-results/.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench-results' },
    },
  });
  const smoke = values.smoke;
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const results: Record<string, unknown> = { machine, smoke, date: new Date().toISOString() };
  const md: string[] = [`Machine: ${machine}${smoke ? ' (smoke run)' : ''}`, ''];

  const cost = await benchPipelineCost(smoke ? 20 : 200, smoke ? 4 : 20);
  results['pipelineCost'] = cost;
  md.push(
    '### Session pipeline cost per input frame',
    '',
    '| sessions | seconds | frames | relay CPU µs per 20 ms frame | feeder baseline µs |',
    '|---:|---:|---:|---:|---:|',
    `| ${cost.sessions} | ${cost.seconds} | ${cost.frames} | ${cost.cpuUsPerFrame.toFixed(1)} | ${cost.baselineUsPerFrame.toFixed(2)} |`,
    '',
  );

  md.push('### Jitter buffer trace replay', '', replayTable(), '');
  results['jitterReplay'] = 'see markdown';

  const text = md.join('\n');
  console.log(text);
  await mkdir(values.out, { recursive: true });
  await writeFile(`${values.out}/bench.json`, JSON.stringify(results, null, 2));
  await writeFile(`${values.out}/bench.md`, text);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
