import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CHROMIUM_PATH, runScenarioProcess } from './browser-support.js';

/**
 * Real headless Chromium against the relay's WebRTC module. Each scenario runs in a child
 * process (browser-scenario.ts), inside a private network namespace with only `lo` when we
 * are root (CI), so no packet can leave loopback; it prints `RESULT {json}`.
 */
const SCENARIO = fileURLToPath(new URL('./browser-scenario.ts', import.meta.url));
const CHILD_TIMEOUT_MS = 90_000;

type Json = Record<string, unknown>;
const runScenario = (name: string, args: Json = {}): Promise<Json> =>
  runScenarioProcess(SCENARIO, name, args, CHILD_TIMEOUT_MS);

describe.skipIf(!existsSync(CHROMIUM_PATH))('WebRTC with headless Chromium', () => {
  it(
    'refuses a bad offer with 401 creating nothing; carries a turn both ways; a closed tab is released within the idle timeout',
    async () => {
      const r = await runScenario('call');
      // Bad credentials: 401 and no session, no werift peer.
      expect(r['bad']).toEqual({ status: 401, code: 'RELAY_ERR_UNAUTHENTICATED' });
      expect(r['badForged']).toEqual({ status: 401, code: 'RELAY_ERR_TOKEN_EXPIRED' });
      const afterBad = r['afterBad'] as Json;
      expect(afterBad['sessions']).toBe(0);
      expect(afterBad['peers']).toBe(0);
      expect(String(afterBad['sessionsCreated'])).not.toMatch(/transport="webrtc"/);
      // The real call: one session, one peer; the transcript arrived over the data channel.
      expect((r['call'] as Json)['status']).toBe(201);
      expect(r['liveDuringCall']).toEqual({ sessions: 1, peers: 1 });
      const finals = r['finals'] as string[];
      expect(finals.length).toBeGreaterThan(0);
      expect(finals[0]).toMatch(/^alpha bravo/);
      expect(r['eventTypes']).toEqual(
        expect.arrayContaining([
          'session.ready',
          'transcript.partial',
          'transcript.final',
          'response.text.delta',
          'turn.metrics',
        ]),
      );
      // Reply audio reached the page: RTP counted by getStats(), and it was not silent.
      const pageStats = r['pageStats'] as Json;
      expect(pageStats['packets']).toBeGreaterThan(100);
      expect(pageStats['maxLevel']).toBeGreaterThan(0.01);
      const peerStats = r['peerStats'] as Json;
      expect(peerStats['audioPacketsOut']).toBeGreaterThan(20);
      expect(peerStats['silencePacketsOut']).toBeGreaterThan(0);
      expect(peerStats['decodeErrors']).toBe(0);
      expect(peerStats['framesIn']).toBeGreaterThan(100);
      // Closing the tab, or only its peer connection: released, nothing left (the scenario
      // waits for both on events; how fast is the bench's business, not a test's).
      expect(r['peerReleased']).toBe(true);
    },
    CHILD_TIMEOUT_MS + 10_000,
  );

  it(
    'the demo page shows the transcript and the latency waterfall with a budget breach; Stop releases the session',
    async () => {
      const screenshot = join(tmpdir(), `voice-relay-webrtc-demo-${process.pid}.png`);
      await rm(screenshot, { force: true });
      onTestFinished(() => rm(screenshot, { force: true }));
      const r = await runScenario('demo', { screenshot });
      const dom = r['dom'] as Json;
      expect(String(dom['transcript'])).toMatch(/alpha bravo/);
      expect(String(dom['reply'])).toMatch(/alpha bravo/);
      const bars = dom['bars'] as { stage: string; width: string; breach: boolean }[];
      expect(bars.map((b) => b.stage)).toEqual(['endpoint', 'stt', 'llm', 'tts', 'v2v']);
      expect(bars.every((b) => parseFloat(b.width) > 0)).toBe(true);
      expect(bars.find((b) => b.stage === 'llm')?.breach).toBe(true);
      expect((dom['budgetLines'] as string[]).join(' ')).toMatch(/llm budget exceeded/);
      expect(dom['tokenInPage']).toBe(true);
      expect(dom['errors']).toBe('');
      expect(r['live']).toEqual({ sessions: 1, peers: 1 });
      // Stop = DELETE of the session resource: released (the scenario waits for it).
      // The screenshot is a real PNG of some size.
      const png = await readFile(screenshot);
      expect(png.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))).toBe(true);
      expect(png.length).toBeGreaterThan(20_000);
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(1000); // width
    },
    CHILD_TIMEOUT_MS + 10_000,
  );
});
