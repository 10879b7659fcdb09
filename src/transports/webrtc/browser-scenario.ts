/**
 * Browser scenarios for the WebRTC acceptance tests, run as a child process (inside a
 * private network namespace when root: `unshare -n sh -c 'ip link set lo up && exec node
 * --import tsx browser-scenario.ts <scenario> <json args>'`). Starts a relay with the
 * WebRTC module, drives headless Chromium with a fake microphone playing a speech WAV, and
 * prints one line `RESULT {json}` on stdout.
 *
 *   call: a bare page (own JS) — a bad-credential offer (401, nothing created), then a real
 *         call: transcript over the data channel, reply audio measured with getStats(),
 *         then the tab is closed and the time until the relay released it is measured.
 *   demo: the demo page with ?autostart=1 — token via the dev-token route, one turn,
 *         transcript + waterfall in the DOM, a screenshot, then Stop (DELETE) and the time
 *         until the relay released it.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumArgs, waitInPage } from './browser-support.js';
import { encodeWav } from '../../media/wav.js';
import { silence, synthVoice } from '../../media/pcm.js';
import { testToken } from '../../testing/relay-harness.js';
import { startWebRtcTestRelay, until, type WebRtcTestRelay } from './test-support.js';

const IDLE_TIMEOUT_MS = 2_000;

/** 0.6 s of silence, 1.4 s of speech-like audio, then silence (48 kHz mono PCM16). */
async function writeSpeechWav(dir: string): Promise<string> {
  const rate = 48_000;
  const data = Buffer.concat([silence(600, rate), synthVoice(1400, rate, 2), silence(2000, rate)]);
  const path = join(dir, 'speech.wav');
  await writeFile(path, encodeWav({ sampleRateHz: rate, channels: 1, data }));
  return path;
}

/** In-page code for the `call` scenario (a string: no bundler helpers leak into the page). */
const CALL_JS = String.raw`
window.__t = { events: [], stats: { packets: 0, maxLevel: 0, bytes: 0 } };
window.__offer = async function (token, pipeline) {
  const mic = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const pc = new RTCPeerConnection({ iceServers: [] });
  const dc = pc.createDataChannel('events');
  pc.addTransceiver(mic.getAudioTracks()[0], { direction: 'sendrecv' });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, 3000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
    });
  });
  const r = await fetch('/v1/webrtc?pipeline=' + pipeline, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', authorization: 'Bearer ' + token },
    body: pc.localDescription.sdp,
  });
  return { pc, dc, mic, r };
};
window.__badOffer = async function (token) {
  const { pc, mic, r } = await window.__offer(token, 'default');
  const body = await r.json().catch(() => ({}));
  pc.close();
  mic.getTracks().forEach((t) => t.stop());
  return { status: r.status, code: body.error && body.error.code };
};
window.__call = async function (token) {
  const { pc, dc, r } = await window.__offer(token, 'default');
  if (r.status !== 201) return { status: r.status };
  dc.onmessage = (m) => window.__t.events.push(JSON.parse(m.data));
  pc.ontrack = (e) => {
    const a = new Audio();
    a.srcObject = e.streams[0] || new MediaStream([e.track]);
    a.play().catch(() => {});
  };
  await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  window.__t.pc = pc;
  window.__t.location = r.headers.get('location');
  setInterval(async () => {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        window.__t.stats.packets = s.packetsReceived;
        window.__t.stats.bytes = s.bytesReceived;
        window.__t.stats.lost = s.packetsLost;
        window.__t.stats.maxLevel = Math.max(window.__t.stats.maxLevel, s.audioLevel || 0);
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio') window.__t.stats.sent = s.packetsSent;
    });
  }, 100);
  return { status: r.status, location: window.__t.location };
};
`;

function log(msg: string): void {
  process.stderr.write(`[scenario ${new Date().toISOString()}] ${msg}\n`);
}

interface Ctx {
  t: WebRtcTestRelay;
  browser: Browser;
  page: Page;
}

function udpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

function sessionsLive(t: WebRtcTestRelay): number {
  return t.relay.sessions?.size ?? -1;
}

async function callScenario({ t, browser, page }: Ctx): Promise<Record<string, unknown>> {
  await page.goto(`${t.mediaUrl}/demo`);
  await page.evaluate(CALL_JS);
  const evalJs = <T>(js: string): Promise<T> => page.evaluate<T>(js);

  // Bad credentials: 401, and neither a session nor a werift peer was ever created.
  const peersBefore = t.module.peerCount;
  const bad = await evalJs<{ status: number; code: string }>(
    `window.__badOffer(${JSON.stringify('vr_bogus_credential')})`,
  );
  const badForged = await evalJs<{ status: number; code: string }>(
    `window.__badOffer(${JSON.stringify(await testToken({ expiresInSec: -60 }))})`,
  );
  const afterBad = {
    sessions: sessionsLive(t),
    peers: t.module.peerCount,
    peersBefore,
    sessionsCreated: await t.relay.metrics.registry
      .getSingleMetricAsString('relay_sessions_total')
      .catch(() => ''),
  };

  const token = await testToken({ pipelines: ['default'] });
  const t0 = Date.now();
  const call = await evalJs<{ status: number; location: string }>(
    `window.__call(${JSON.stringify(token)})`,
  );
  await waitInPage(page, "window.__t.events.some((e) => e.type === 'session.ready')", 10_000);
  const readyMs = Date.now() - t0;
  const liveDuringCall = { sessions: sessionsLive(t), peers: t.module.peerCount };
  await waitInPage(page, "window.__t.events.some((e) => e.type === 'transcript.final')", 20_000);
  const finalMs = Date.now() - t0;
  await waitInPage(
    page,
    "window.__t.events.some((e) => e.type === 'turn.metrics') && window.__t.stats.maxLevel > 0.01",
    20_000,
  );
  const replyMs = Date.now() - t0;
  const pageState = await evalJs<{
    events: { type: string; text?: string }[];
    stats: Record<string, number>;
  }>('({ events: window.__t.events, stats: window.__t.stats })');
  const sessionId = call.location.split('/').pop() ?? '';
  const peer = t.module.peerOf(sessionId);
  const peerStats = peer?.stats();

  // Close the tab: the relay must release the session within the idle timeout.
  const closedAt = Date.now();
  await page.close();
  await until(() => sessionsLive(t) === 0, IDLE_TIMEOUT_MS + 30_000, 'session released');
  const sessionReleasedMs = Date.now() - closedAt;
  await until(() => t.module.peerCount === 0, IDLE_TIMEOUT_MS + 30_000, 'peer released');
  const peerReleasedMs = Date.now() - closedAt;

  // A page that closes its RTCPeerConnection (SCTP ABORT, DTLS close_notify) is noticed
  // at once, without waiting for the idle timeout.
  const page2 = await browser.newPage();
  await page2.goto(`${t.mediaUrl}/demo`);
  await page2.evaluate(CALL_JS);
  await page2.evaluate(`window.__call(${JSON.stringify(token)})`);
  await waitInPage(page2, "window.__t.events.some((e) => e.type === 'session.ready')", 10_000);
  const pcClosedAt = Date.now();
  await page2.evaluate('window.__t.pc.close()');
  await until(() => sessionsLive(t) === 0 && t.module.peerCount === 0, 30_000, 'pc.close noticed');
  const pcCloseReleasedMs = Date.now() - pcClosedAt;
  await page2.close();
  // Every werift ICE socket of this process is closed again (Chromium is another process).
  await until(() => udpSockets() === 0, 30_000, 'UDP sockets closed');

  return {
    pcCloseReleasedMs,
    bad,
    badForged,
    afterBad,
    call,
    readyMs,
    finalMs,
    replyMs,
    liveDuringCall,
    finals: pageState.events.filter((e) => e.type === 'transcript.final').map((e) => e.text),
    eventTypes: [...new Set(pageState.events.map((e) => e.type))],
    pageStats: pageState.stats,
    peerStats,
    sessionReleasedMs,
    peerReleasedMs,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    peerReleased: peer?.released ?? null,
  };
}

async function demoScenario(
  { t, page }: Ctx,
  screenshot: string,
): Promise<Record<string, unknown>> {
  await page.setViewportSize({ width: 1100, height: 760 });
  await page.goto(`${t.mediaUrl}/demo?autostart=1&pipeline=breach`);
  await waitInPage(page, "window.demo && window.demo.state === 'connected'", 30_000);
  await waitInPage(
    page,
    "window.demo.finals.length > 0 && window.demo.metrics.length > 0 && document.querySelectorAll('.wf-bar').length >= 4",
    60_000,
  );
  // Let the reply text finish streaming and the budget line land before the picture.
  await waitInPage(
    page,
    "window.demo.events.some((e) => e.type === 'response.done') && document.querySelectorAll('.wf-budget').length > 0",
    15_000,
  );
  await page.screenshot({ path: screenshot, fullPage: true });
  const dom = await page.evaluate<Record<string, unknown> & { location: string }>(`({
    transcript: document.getElementById('transcript').textContent,
    reply: document.getElementById('reply').textContent,
    bars: [...document.querySelectorAll('.wf-bar')].map((b) => ({
      stage: b.dataset.stage, width: b.style.width, breach: b.classList.contains('breach'),
    })),
    budgetLines: [...document.querySelectorAll('.wf-budget')].map((d) => d.textContent),
    status: document.getElementById('status').textContent,
    errors: document.getElementById('errors').textContent,
    location: window.demo.location,
    tokenInPage: typeof window.demo.token === 'string' && window.demo.token.split('.').length === 3,
  })`);
  const live = { sessions: sessionsLive(t), peers: t.module.peerCount };

  // Stop: the page DELETEs its session resource.
  const stoppedAt = Date.now();
  await page.click('#stop');
  await until(() => sessionsLive(t) === 0, 30_000, 'session released after DELETE');
  const sessionReleasedMs = Date.now() - stoppedAt;
  await until(() => t.module.peerCount === 0, 30_000, 'peer released after DELETE');
  const peerReleasedMs = Date.now() - stoppedAt;
  const png = await stat(screenshot);
  return { dom, live, sessionReleasedMs, peerReleasedMs, screenshot, screenshotBytes: png.size };
}

async function main(): Promise<void> {
  const [scenario = '', argsJson = '{}'] = process.argv.slice(2);
  const args = JSON.parse(argsJson) as { screenshot?: string };
  const dir = await mkdtemp(join(tmpdir(), 'vr-webrtc-browser-'));
  let t: WebRtcTestRelay | undefined;
  let browser: Browser | undefined;
  try {
    const wav = await writeSpeechWav(dir);
    log('starting relay');
    t = await startWebRtcTestRelay(
      { idleTimeoutMs: IDLE_TIMEOUT_MS, demo: { gatewayUrl: '' } },
      { devTokens: true },
    );
    log('launching chromium');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs(wav) });
    const page = await browser.newPage();
    log(`running ${scenario}`);
    const ctx: Ctx = { t, browser, page };
    let result: Record<string, unknown>;
    if (scenario === 'call') {
      result = await callScenario(ctx);
    } else if (scenario === 'demo') {
      result = await demoScenario(ctx, args.screenshot ?? join(dir, 'demo.png'));
    } else {
      throw new Error(`unknown scenario "${scenario}"`);
    }
    process.stdout.write(`RESULT ${JSON.stringify({ ok: true, ...result })}\n`);
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stdout.write(`RESULT ${JSON.stringify({ ok: false, error })}\n`);
    process.exitCode = 1;
  } finally {
    log('cleaning up');
    await browser?.close().catch(() => undefined);
    await t?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    log('done');
  }
}

await main();
