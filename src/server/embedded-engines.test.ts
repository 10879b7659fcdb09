import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../config/pipelines.js';
import { silentLogger } from '../observability/logger.js';
import { startEmbeddedEngines } from './embedded-engines.js';

const BRIDGES = `
name: bridges
stages:
  stt: { endpoints: ['embedded:deepgram', 'embedded:openai-stt'], budgetMs: 1500 }
  llm: { endpoints: ['embedded:openai'], budgetMs: 2000 }
  tts: { endpoints: ['embedded:cartesia', 'embedded:openai-speech'], budgetMs: 1000 }
`;

describe('embedded provider bridges', () => {
  it('starts each bridge a pipeline names, and no other, on loopback', async () => {
    const pipeline = parsePipeline(BRIDGES, '/x/bridges.yaml');
    const engines = await startEmbeddedEngines(
      [pipeline],
      silentLogger(),
      { espeak: false, pocketsphinx: false },
      { DEEPGRAM_BASE_URL: 'ws://127.0.0.1:9', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    );
    try {
      expect(Object.keys(engines.targets).sort()).toEqual([
        'cartesia',
        'deepgram',
        'openai',
        'openai-speech',
        'openai-stt',
      ]);
      for (const target of Object.values(engines.targets)) {
        expect(target).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      expect(engines.unavailable).toEqual([]);
    } finally {
      await engines.close();
    }
  });

  it('refuses a base URL variable that is not a URL, naming it', async () => {
    const pipeline = parsePipeline(BRIDGES, '/x/bridges.yaml');
    await expect(
      startEmbeddedEngines(
        [pipeline],
        silentLogger(),
        { espeak: false, pocketsphinx: false },
        {
          OPENAI_STT_BASE_URL: 'not a url',
        },
      ),
    ).rejects.toThrow(
      'environment OPENAI_STT_BASE_URL: not a valid URL for the embedded openai-stt engine',
    );
  });
});
