import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isEspeakAvailable } from '../../engines/espeak/engine.js';
import { isPocketsphinxAvailable } from '../../engines/pocketsphinx/engine.js';
import { CHROMIUM_PATH, runScenarioProcess } from './browser-support.js';

const SCENARIO = fileURLToPath(new URL('./converse-scenario.ts', import.meta.url));
const TIMEOUT_MS = 120_000;
const engines = isEspeakAvailable() && isPocketsphinxAvailable();
const chromium = existsSync(CHROMIUM_PATH);

describe.skipIf(!chromium)('the demo page in headless Chromium', () => {
  it.skipIf(!engines)(
    'converses on the real engines: two spoken sentences, exact transcripts, sensible replies, a waterfall each, no console error',
    async () => {
      const screenshot = join(tmpdir(), `voice-relay-converse-${process.pid}.png`);
      await rm(screenshot, { force: true });
      try {
        const r = await runScenarioProcess(SCENARIO, 'converse', { screenshot }, TIMEOUT_MS);
        expect(r['redirectedTo']).toBe('/demo');
        expect(r['favicon']).toEqual([200, 'image/svg+xml']);
        const dom = r['dom'] as Record<string, unknown>;
        expect(dom['finals']).toEqual(['what time is it', 'what is two plus three']);
        expect(dom['transcriptLines']).toEqual(dom['finals']);
        expect(dom['replyLines']).toEqual(dom['replies']);
        const replies = dom['replies'] as string[];
        expect(replies[0]).toMatch(/^It's \d{1,2}:\d{2}\s?[AP]M\.$/);
        expect(replies[1]).toBe('2 plus 3 is 5.');
        // Distinct turn labels (no session prefix), one waterfall of five bars each.
        expect(dom['titles']).toEqual([
          expect.stringMatching(/^turn 2\b/),
          expect.stringMatching(/^turn 1\b/),
        ]);
        expect(dom['barsPerTurn']).toEqual([5, 5]);
        expect(String(dom['engines'])).toContain('STT pocketsphinx (real)');
        expect(String(dom['say'])).toContain('what time is it');
        expect(dom['errors']).toBe('');
        // Stop deletes the session: 200, or 204 when the WebRTC side had already released it.
        expect([200, 204]).toContain(r['deleteStatus']);
        expect(r['consoleErrors']).toEqual([]);
        const png = await readFile(screenshot);
        expect(png.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
        process.stderr.write(`converse: v2v ${JSON.stringify(dom['v2v'])} ms, ${screenshot}\n`);
      } finally {
        if (process.env['KEEP_SCREENSHOT'] !== '1') {
          await rm(screenshot, { force: true });
        }
      }
    },
    TIMEOUT_MS + 10_000,
  );

  it(
    'says the STT is simulated when the real engines are not installed',
    async () => {
      const r = await runScenarioProcess(SCENARIO, 'simulated', {}, TIMEOUT_MS);
      expect(String(r['engines'])).toContain('STT sim (simulated)');
      expect(String(r['say'])).toContain('STT is simulated');
      expect(r['sttSimulated']).toBe(true);
    },
    TIMEOUT_MS + 10_000,
  );
});
