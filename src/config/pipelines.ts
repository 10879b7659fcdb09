import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { RelayError } from '../errors/errors.js';
import { pipelineSchema, type PipelineConfig } from './pipeline-schema.js';

export interface ConfigProblem {
  file: string;
  field: string;
  message: string;
}

/** A configuration error that names the file, the field and the problem. */
export class ConfigError extends RelayError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super('RELAY_ERR_CONFIG', problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}: ${p.field === '' ? '(top level)' : p.field}: ${p.message}`;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
}

function zodProblems(file: string, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const base = fieldOf(issue.path);
      return {
        file,
        field: issue.keys.map((k) => (base === '' ? k : `${base}.${k}`)).join(', '),
        message: 'unknown field',
      };
    }
    return { file, field: fieldOf(issue.path), message: issue.message };
  });
}

/** Parse and validate one pipeline file's text. Throws ConfigError. */
export function parsePipeline(text: string, file: string): PipelineConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          file: `${file}:${pos.line}:${pos.col}`,
          field: '',
          message: `YAML syntax: ${e.message.split('\n')[0] ?? e.code}`,
        };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file, field: '', message: 'expected a mapping of pipeline fields' }]);
  }
  const result = pipelineSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(zodProblems(file, result.error));
  }
  const stem = basename(file, extname(file));
  if (result.data.name !== stem) {
    throw new ConfigError([
      { file, field: 'name', message: `must match the file name ("${stem}")` },
    ]);
  }
  return deepFreeze(result.data);
}

/** Load every `*.yaml`/`*.yml` in a folder. All files are checked; all problems are reported. */
export async function loadPipelines(dir: string): Promise<ReadonlyMap<string, PipelineConfig>> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (err) {
    throw new ConfigError([
      { file: dir, field: '', message: `cannot read pipelines folder: ${(err as Error).message}` },
    ]);
  }
  if (entries.length === 0) {
    throw new ConfigError([{ file: dir, field: '', message: 'no pipeline files (*.yaml) found' }]);
  }
  const problems: ConfigProblem[] = [];
  const out = new Map<string, PipelineConfig>();
  for (const entry of entries) {
    const file = join(dir, entry);
    try {
      const p = parsePipeline(await readFile(file, 'utf8'), file);
      out.set(p.name, p);
    } catch (err) {
      if (err instanceof ConfigError) {
        problems.push(...err.problems);
      } else {
        problems.push({ file, field: '', message: (err as Error).message });
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) {
      deepFreeze(v);
    }
  }
  return value;
}
