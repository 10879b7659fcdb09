/**
 * The demo page conversing on this machine's real engines (a child process, inside a
 * private network namespace when root; see browser-support.ts). Starts a development
 * relay on the repository's pipelines, speaks two sentences synthesised by espeak-ng into
 * Chromium's fake microphone, and prints `RESULT {json}` with what the page showed.
 *
 *   converse:  `/` → /demo, favicon, two spoken turns, a screenshot, Stop.
 *   simulated: the real engines forced off; what the page says about the engines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { silentLogger } from '../../observability/logger.js';
import { relayConfigSchema } from '../../server/relay-config.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { REPO_PIPELINES, TEST_ADMIN_KEY } from '../../testing/relay-harness.js';
import { CHROMIUM_PATH, chromiumArgs, waitInPage } from './browser-support.js';

export const SENTENCES = ['what time is it', 'what is two plus three'];

/** The sentences spoken by espeak-ng with pauses, as one 48 kHz mono WAV (sox). */
function speechWav(dir: string): string {
  SENTENCES.forEach((text, i) => {
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', join(dir, `s${i}.wav`), text]);
  });
  const out = join(dir, 'speech.wav');
  // 3 s of silence (the call connects meanwhile), sentence 1, 5 s (the reply plays), sentence 2, 4 s.
  // 3 s of silence (the call connects meanwhile), sentence 1, 5 s (the reply plays), sentence 2, 4 s.
  const inputs = ['lead.wav', 's0.wav', 'gap.wav', 's1.wav', 'tail.wav'].map((f) => join(dir, f));
  execFileSync('sox', [...inputs, '-r', '48000', '-c', '1', out]);
  return out;
}

async function startDevRelay(engines?: { espeak: boolean; pocketsphinx: boolean }): Promise<Relay> {
  const config = relayConfigSchema.parse({
    mediaPort: 0,
    gatewayPort: 0,
    pipelinesDir: REPO_PIPELINES,
    logLevel: 'silent',
    adminKeys: [TEST_ADMIN_KEY],
    devTokens: true,
    webrtc: { allowedRemoteAddresses: ['127.0.0.1'] },
  });
  return startRelay(
    config,
    silentLogger(),
    engines === undefined ? {} : { engineAvailability: engines },
  );
}

async function converse(
  browser: Browser,
  relay: Relay,
  screenshot: string,
): Promise<Record<string, unknown>> {
  const base = `http://${relay.mediaAddress ?? ''}`;
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      consoleErrors.push(m.text());
    }
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.setViewportSize({ width: 1100, height: 900 });
  const root = await page.goto(`${base}/`);
  const redirectedTo = new URL(page.url()).pathname;
  const rootStatus = root?.status() ?? 0;
  const favicon = await page.evaluate(
    `fetch('/favicon.ico').then((r) => [r.status, r.headers.get('content-type')])`,
  );
  await page.goto(`${base}/demo?autostart=1`);
  await waitInPage(page, "window.demo && window.demo.state === 'connected'", 15_000);
  await waitInPage(
    page,
    "window.demo.metrics.length >= 2 && window.demo.events.filter((e) => e.type === 'response.done').length >= 2",
    60_000,
  );
  await page.screenshot({ path: screenshot, fullPage: true });
  const dom = await page.evaluate<Record<string, unknown>>(`({
    finals: window.demo.finals,
    transcriptLines: [...document.querySelectorAll('#transcript .final')].map((d) => d.textContent),
    replyLines: [...document.querySelectorAll('#reply .agent')].map((d) => d.textContent),
    replies: window.demo.metrics.map((m) => window.demo.replies[m.turnId] || ''),
    turnIds: window.demo.metrics.map((m) => m.turnId),
    titles: [...document.querySelectorAll('.wf-title')].map((d) => d.textContent),
    barsPerTurn: [...document.querySelectorAll('.wf-turn')].map((b) => b.querySelectorAll('.wf-bar').length),
    v2v: window.demo.metrics.map((m) => m.voiceToVoiceMs),
    engines: document.getElementById('engines').textContent,
    say: document.getElementById('say').textContent,
    errors: document.getElementById('errors').textContent,
    budgets: window.demo.budgets.length,
    missed: window.demo.missed.length,
    state: window.demo.state,
    closing: window.demo.events.filter((e) => e.type === 'session.closing'),
  })`);
  const liveBeforeStop = relay.sessions?.size ?? -1;
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE', {
    timeout: 10_000,
  });
  await page.click('#stop');
  const deleteStatus = (await deleted).status();
  await page.close();
  return {
    rootStatus,
    redirectedTo,
    favicon,
    dom,
    deleteStatus,
    liveBeforeStop,
    consoleErrors,
    screenshot,
  };
}

async function simulated(browser: Browser, relay: Relay): Promise<Record<string, unknown>> {
  const page = await browser.newPage();
  await page.goto(`http://${relay.mediaAddress ?? ''}/demo`);
  const r = await page.evaluate<Record<string, unknown>>(`({
    engines: document.getElementById('engines').textContent,
    say: document.getElementById('say').textContent,
    sttSimulated: window.demo.sttSimulated,
  })`);
  await page.close();
  return r;
}

async function main(): Promise<void> {
  const [scenario = '', argsJson = '{}'] = process.argv.slice(2);
  const args = JSON.parse(argsJson) as { screenshot?: string };
  const dir = await mkdtemp(join(tmpdir(), 'vr-converse-'));
  let relay: Relay | undefined;
  let browser: Browser | undefined;
  try {
    execFileSync('sox', ['-n', '-r', '22050', '-c', '1', join(dir, 'gap.wav'), 'trim', '0', '5']);
    execFileSync('sox', ['-n', '-r', '22050', '-c', '1', join(dir, 'tail.wav'), 'trim', '0', '4']);
    const lead = join(dir, 'lead.wav');
    execFileSync('sox', ['-n', '-r', '22050', '-c', '1', lead, 'trim', '0', '3']);
    const wav = scenario === 'converse' ? speechWav(dir) : lead;
    if (scenario === 'converse') {
      relay = await startDevRelay();
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs(wav) });
      const result = await converse(browser, relay, args.screenshot ?? join(dir, 'demo.png'));
      process.stdout.write(`RESULT ${JSON.stringify({ ok: true, ...result })}\n`);
    } else if (scenario === 'simulated') {
      relay = await startDevRelay({ espeak: false, pocketsphinx: false });
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs(lead) });
      const result = await simulated(browser, relay);
      process.stdout.write(`RESULT ${JSON.stringify({ ok: true, ...result })}\n`);
    } else {
      throw new Error(`unknown scenario "${scenario}"`);
    }
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stdout.write(`RESULT ${JSON.stringify({ ok: false, error })}\n`);
    process.exitCode = 1;
  } finally {
    await browser?.close().catch(() => undefined);
    await relay?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
