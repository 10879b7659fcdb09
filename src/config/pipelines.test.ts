import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadPipelines, parsePipeline } from './pipelines.js';

const PIPELINES_DIR = fileURLToPath(new URL('../../pipelines', import.meta.url));

const VALID = `
name: demo
stages:
  stt: { endpoints: [embedded], budgetMs: 1500 }
  llm: { endpoints: [embedded], budgetMs: 2000 }
  tts: { endpoints: [embedded], budgetMs: 1000 }
`;

describe('pipeline files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vr-pipelines-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the shipped pipelines', async () => {
    const pipelines = await loadPipelines(PIPELINES_DIR);
    const def = pipelines.get('default');
    expect(def?.stages.stt.endpoints).toEqual(['embedded']);
    expect(def?.audio.sampleRateHz).toBe(16000);
    expect(Object.isFrozen(def?.stages)).toBe(true);
  });

  it('fills defaults for a minimal file', () => {
    const p = parsePipeline(VALID, '/x/demo.yaml');
    expect(p.stages.llm.onBudgetExceeded).toBe('cancel');
    expect(p.stages.stt.endpointing.silenceMs).toBe(500);
    expect(p.output.leadMs).toBe(60);
  });

  async function problemOf(name: string, text: string): Promise<string> {
    await writeFile(join(dir, name), text);
    try {
      await loadPipelines(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  }

  it('names the file and field of a wrong type', async () => {
    const msg = await problemOf('demo.yaml', VALID.replace('budgetMs: 2000', 'budgetMs: fast'));
    expect(msg).toContain(join(dir, 'demo.yaml'));
    expect(msg).toContain('stages.llm.budgetMs');
    expect(msg).toMatch(/expected number/i);
  });

  it('names the file and field of a missing required field', async () => {
    const msg = await problemOf(
      'demo.yaml',
      VALID.replace('  tts: { endpoints: [embedded], budgetMs: 1000 }\n', ''),
    );
    expect(msg).toContain('demo.yaml: stages.tts:');
  });

  it('names an unknown (misspelt) field', async () => {
    const msg = await problemOf(
      'demo.yaml',
      VALID.replace('budgetMs: 1500', 'budgetMs: 1500, budjetMs: 5'),
    );
    expect(msg).toContain('demo.yaml: stages.stt.budjetMs: unknown field');
  });

  it('reports a YAML syntax error with its line', async () => {
    const msg = await problemOf('demo.yaml', 'name: demo\nstages: [\n');
    expect(msg).toMatch(/demo\.yaml:\d+:\d+: \(top level\): YAML syntax/);
  });

  it('takes the provider bridges as embedded engines, each for its own stage only', async () => {
    const bridges = VALID.replace(
      'stt: { endpoints: [embedded]',
      "stt: { endpoints: ['embedded:deepgram', 'embedded:openai-stt']",
    )
      .replace('llm: { endpoints: [embedded]', "llm: { endpoints: ['embedded:openai']")
      .replace(
        'tts: { endpoints: [embedded]',
        "tts: { endpoints: ['embedded:elevenlabs', 'embedded:cartesia', 'embedded:openai-speech']",
      );
    const p = parsePipeline(bridges, '/x/demo.yaml');
    expect(p.stages.tts.endpoints).toEqual([
      'embedded:elevenlabs',
      'embedded:cartesia',
      'embedded:openai-speech',
    ]);
    const wrongStage = await problemOf(
      'demo.yaml',
      VALID.replace('tts: { endpoints: [embedded]', "tts: { endpoints: ['embedded:deepgram']"),
    );
    expect(wrongStage).toContain(
      'stages.tts.endpoints[0]: the deepgram engine cannot serve the tts stage (use embedded:sim or embedded:espeak or embedded:elevenlabs or embedded:cartesia or embedded:openai-speech)',
    );
    const unknown = await problemOf(
      'demo.yaml',
      VALID.replace('stt: { endpoints: [embedded]', "stt: { endpoints: ['embedded:whisper']"),
    );
    expect(unknown).toContain(
      'stages.stt.endpoints[0]: unknown embedded engine whisper (use embedded:sim',
    );
  });

  it('rejects a bad endpoint and a name that does not match the file', async () => {
    const msg = await problemOf(
      'other.yaml',
      VALID.replace('[embedded], budgetMs: 1000', '["not a target"], budgetMs: 1000'),
    );
    expect(msg).toContain('stages.tts.endpoints[0]');
    await rm(join(dir, 'other.yaml'));
    const msg2 = await problemOf('other.yaml', VALID);
    expect(msg2).toContain('other.yaml: name: must match the file name');
  });
});
