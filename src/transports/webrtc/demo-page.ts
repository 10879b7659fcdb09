/**
 * The browser demo served by the WebRTC module (`GET /demo`): microphone → relay →
 * speaker over WebRTC, the live transcript, the streamed reply text, and each turn's
 * latency waterfall with budget breaches. One self-contained HTML page (inline CSS and
 * JS, no external assets). It never holds a secret: it asks the same-origin
 * `POST /demo/token` route for a short-lived dev token (proxied to the gateway's
 * `POST /v1/tokens/dev`), then signals with `Authorization: Bearer <token>`.
 *
 * `?autostart=1` starts a call on load; `?pipeline=NAME` picks the pipeline. The page
 * exposes its state as `window.demo` (used by the browser tests).
 */

/** Which engine runs a stage: real, simulated, missing (not installed) or a remote target. */
export interface DemoStageEngine {
  stage: string;
  engine: string;
  status: 'real' | 'simulated' | 'missing' | 'remote';
}

/** What the page tells the user besides the call itself. */
export interface DemoInfo {
  /** Per pipeline name: the engine behind each stage. */
  engines: Record<string, readonly DemoStageEngine[]>;
  /** Things to say that the engines understand. */
  say: readonly string[];
}

export interface DemoPageOptions extends DemoInfo {
  pipeline: string;
  signallingPath: string;
  tokenPath: string;
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f1419;color:#e6e6e6}
header{padding:12px 20px;background:#1a2129;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
h1{font-size:18px;margin:0 12px 0 0}
button{font:inherit;padding:6px 14px;border-radius:6px;border:0;background:#2f81f7;color:#fff;cursor:pointer}
button:disabled{background:#444;cursor:default}
input{font:inherit;padding:5px 8px;border-radius:6px;border:1px solid #444;background:#0f1419;color:#e6e6e6;width:130px}
#status{color:#9aa5b1}
#level{width:120px;height:8px;background:#333;border-radius:4px;overflow:hidden}
#level>div{height:100%;width:0;background:#3fb950}
main{display:grid;grid-template-columns:1fr 1fr;gap:16px;padding:16px 20px}
section{background:#161b22;border-radius:8px;padding:12px 14px;min-height:120px}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#9aa5b1;margin:0 0 8px}
.line{margin:3px 0}
.partial{color:#8b949e;font-style:italic}
.final::before{content:"you: ";color:#58a6ff}
.agent::before{content:"agent: ";color:#d2a8ff}
#waterfall{grid-column:1/3}
.wf-turn{margin:0 0 14px}
.wf-title{font-size:12px;color:#9aa5b1;margin-bottom:4px}
.wf-row{display:grid;grid-template-columns:130px 1fr 70px;gap:8px;align-items:center;margin:2px 0}
.wf-track{position:relative;height:14px;background:#0f1419;border-radius:3px}
.wf-bar{position:absolute;top:0;height:100%;border-radius:3px;min-width:2px}
.wf-bar.endpoint{background:#58a6ff}.wf-bar.stt{background:#3fb950}.wf-bar.llm{background:#d2a8ff}
.wf-bar.tts{background:#f0883e}.wf-bar.v2v{background:#e6e6e6}
.wf-bar.breach{outline:2px solid #f85149}
.wf-ms{font-variant-numeric:tabular-nums;text-align:right;color:#c9d1d9}
.wf-budget{color:#f85149;font-size:12px;margin-top:2px}
#errors{color:#f85149}
#about{padding:10px 20px;background:#131920;color:#c9d1d9;display:flex;gap:24px;flex-wrap:wrap}
#about b{color:#9aa5b1;font-weight:normal;text-transform:uppercase;font-size:12px;letter-spacing:.06em;margin-right:6px}
.eng{margin-right:12px}.eng.real{color:#3fb950}.eng.simulated{color:#d29922}.eng.missing{color:#f85149}.eng.remote{color:#58a6ff}
#say span{display:inline-block;margin:0 6px 4px 0;padding:1px 8px;border-radius:10px;background:#1f2a36}
.missed{color:#d29922}
.wf-note{color:#d29922;font-size:12px;margin-top:2px}
`;

const SCRIPT = String.raw`
const CONFIG = JSON.parse(document.getElementById('demo-config').textContent);
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const demo = (window.demo = {
  state: 'idle', events: [], finals: [], replies: {}, metrics: [], budgets: [], missed: [],
  pc: null, dc: null, location: null, token: null, error: null,
});
$('pipeline').value = params.get('pipeline') || CONFIG.pipeline;

/** "sid.t3" → "turn 3": the session prefix is the same for every turn. */
function turnLabel(turnId) {
  const m = /\.t(\d+)$/.exec(turnId || '');
  return m ? 'turn ' + m[1] : 'turn ' + String(turnId || '').slice(-8);
}
function showAbout() {
  const name = $('pipeline').value.trim();
  const stages = CONFIG.engines[name] || [];
  const eng = $('engines');
  eng.replaceChildren();
  for (const s of stages) {
    const d = document.createElement('span');
    d.className = 'eng ' + s.status;
    d.textContent = s.stage.toUpperCase() + ' ' + s.engine + ' (' + s.status + ')';
    eng.appendChild(d);
  }
  if (stages.length === 0) eng.textContent = 'unknown pipeline';
  const stt = stages.find((s) => s.stage === 'stt');
  const sim = stt && stt.status === 'simulated';
  demo.sttSimulated = !!sim;
  $('say').replaceChildren();
  if (sim) {
    $('say').textContent = 'STT is simulated: it does not listen, it returns fixed words (install pocketsphinx for real recognition).';
  } else {
    for (const t of CONFIG.say) {
      const d = document.createElement('span');
      d.textContent = '\u201c' + t + '\u201d';
      $('say').appendChild(d);
    }
  }
}
$('pipeline').addEventListener('input', showAbout);
showAbout();
function missed(turnId, why) {
  demo.missed.push({ turnId, why });
  line($('transcript'), 'missed', 'Didn\u2019t catch that' + (why ? ' (' + why + ')' : '') + '. Try again' +
    (CONFIG.say.length ? ', e.g. \u201c' + CONFIG.say[demo.missed.length % CONFIG.say.length] + '\u201d.' : '.'));
}

function setState(s, detail) {
  demo.state = s;
  $('status').textContent = s + (detail ? ': ' + detail : '');
  $('start').disabled = s === 'connecting' || s === 'connected';
  $('stop').disabled = !(s === 'connecting' || s === 'connected');
}
function line(parent, cls, text) {
  const d = document.createElement('div');
  d.className = 'line ' + cls;
  d.textContent = text;
  parent.appendChild(d);
  parent.scrollTop = parent.scrollHeight;
  return d;
}
function showError(msg) { demo.error = msg; line($('errors'), '', msg); }

let partialEl = null;
function onEvent(ev) {
  demo.events.push(ev);
  switch (ev.type) {
    case 'session.ready': setState('connected', 'session ' + ev.sessionId.slice(0, 8) + ' · ' + ev.pipeline); break;
    case 'transcript.partial':
      if (!partialEl) partialEl = line($('transcript'), 'partial', '');
      partialEl.textContent = ev.text;
      break;
    case 'transcript.final':
      if (partialEl) { partialEl.remove(); partialEl = null; }
      if (!ev.text || !ev.text.trim()) { missed(ev.turnId, ''); break; }
      demo.finals.push(ev.text);
      line($('transcript'), 'final', ev.text).dataset.turn = ev.turnId;
      break;
    case 'response.text.delta': {
      let el = document.querySelector('[data-reply="' + ev.turnId + '"]');
      if (!el) { el = line($('reply'), 'agent', ''); el.dataset.reply = ev.turnId; }
      demo.replies[ev.turnId] = (demo.replies[ev.turnId] || '') + ev.text;
      el.textContent = demo.replies[ev.turnId];
      break;
    }
    case 'response.interrupted': line($('reply'), 'partial', '(interrupted)'); break;
    case 'turn.metrics': demo.metrics.push(ev); drawTurn(ev); break;
    case 'budget.exceeded': demo.budgets.push(ev); markBudget(ev); break;
    case 'error':
      if (ev.code === 'RELAY_ERR_STAGE_UNAVAILABLE' && ev.turnId) missed(ev.turnId, 'a stage is unavailable');
      showError((ev.turnId ? turnLabel(ev.turnId) + ' \u00b7 ' : '') + ev.code + ': ' + ev.message);
      break;
    case 'session.closing': setState('ended', ev.reason); break;
  }
}

const ROWS = [
  ['endpoint', 'endpoint', 'endpointMs'],
  ['stt', 'STT final', 'sttFinalMs'],
  ['llm', 'LLM first token', 'llmTtftMs'],
  ['tts', 'TTS first audio', 'ttsTtfaMs'],
  ['v2v', 'voice-to-voice', 'voiceToVoiceMs'],
];
const STAGE_OF = { stt: 'stt', llm: 'llm', tts: 'tts' };
function offsets(m) {
  // Approximate start of each span, relative to the end of the user's speech.
  const llmStart = Math.max(m.endpointMs || 0, m.sttFinalMs || 0);
  return { endpoint: 0, stt: 0, llm: llmStart, tts: llmStart + (m.llmTtftMs || 0), v2v: 0 };
}
function drawTurn(m) {
  const box = document.createElement('div');
  box.className = 'wf-turn';
  box.dataset.turn = m.turnId;
  const title = document.createElement('div');
  title.className = 'wf-title';
  title.textContent = turnLabel(m.turnId) + (m.interrupted ? ' (interrupted)' : '') +
    ' · tokens ' + m.promptTokens + '/' + m.completionTokens;
  box.appendChild(title);
  const off = offsets(m);
  let scale = 1;
  for (const [key, , field] of ROWS) if (m[field] != null) scale = Math.max(scale, off[key] + m[field]);
  for (const [key, label, field] of ROWS) {
    const row = document.createElement('div');
    row.className = 'wf-row';
    const name = document.createElement('div');
    name.textContent = label;
    const track = document.createElement('div');
    track.className = 'wf-track';
    const ms = document.createElement('div');
    ms.className = 'wf-ms';
    const v = m[field];
    if (v != null) {
      const bar = document.createElement('div');
      bar.className = 'wf-bar ' + key + ((m.budgetsExceeded || []).includes(STAGE_OF[key]) ? ' breach' : '');
      bar.dataset.stage = key;
      bar.style.left = (100 * off[key] / scale).toFixed(2) + '%';
      bar.style.width = Math.max(0.5, 100 * v / scale).toFixed(2) + '%';
      bar.title = label + ': ' + Math.round(v) + ' ms';
      track.appendChild(bar);
      ms.textContent = Math.round(v) + ' ms';
    } else {
      ms.textContent = '—';
    }
    row.append(name, track, ms);
    box.appendChild(row);
  }
  for (const b of demo.budgets.filter((b) => b.turnId === m.turnId)) addBudgetLine(box, b);
  for (const el of [...$('pending').children]) if (el.dataset.turn === m.turnId) el.remove();
  $('turns').prepend(box);
}
function addBudgetLine(box, b) {
  const d = document.createElement('div');
  d.className = 'wf-budget';
  d.dataset.turn = b.turnId;
  d.textContent = '⚠ ' + turnLabel(b.turnId) + ': ' + b.stage + ' budget exceeded: ' + Math.round(b.elapsedMs) + ' ms > ' + b.budgetMs + ' ms (' + b.action + ')';
  box.appendChild(d);
}
function markBudget(b) {
  if (b.stage === 'stt' && b.action !== 'record') {
    // The utterance was dropped: this attempt gets its own entry, there is no waterfall.
    const box = document.createElement('div');
    box.className = 'wf-turn';
    box.dataset.turn = b.turnId;
    const title = document.createElement('div');
    title.className = 'wf-title';
    title.textContent = turnLabel(b.turnId) + ' \u00b7 not understood';
    const note = document.createElement('div');
    note.className = 'wf-note';
    note.textContent = 'The recognizer gave no transcript in time; nothing was sent to the LLM.';
    box.append(title, note);
    addBudgetLine(box, b);
    $('turns').prepend(box);
    missed(b.turnId, 'no transcript in time');
    return;
  }
  // Usually before the turn's metrics: shown live, then moved into the turn's waterfall.
  const box = document.querySelector('.wf-turn[data-turn="' + b.turnId + '"]');
  if (box) addBudgetLine(box, b); else addBudgetLine($('pending'), b);
}

async function waitGathering(pc, ms) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
    });
  });
}

function meter(stream) {
  try {
    const ac = new AudioContext();
    const an = ac.createAnalyser();
    an.fftSize = 512;
    ac.createMediaStreamSource(stream).connect(an);
    const buf = new Float32Array(an.fftSize);
    const tick = () => {
      an.getFloatTimeDomainData(buf);
      let peak = 0;
      for (const x of buf) peak = Math.max(peak, Math.abs(x));
      demo.outputPeak = Math.max(demo.outputPeak || 0, peak);
      $('level').firstElementChild.style.width = Math.min(100, peak * 200) + '%';
      if (demo.state === 'connected' || demo.state === 'connecting') requestAnimationFrame(tick);
    };
    tick();
  } catch (e) { /* no WebAudio: the meter stays still */ }
}

async function start() {
  setState('connecting');
  try {
    const tr = await fetch(CONFIG.tokenPath, { method: 'POST' });
    const tj = await tr.json().catch(() => ({}));
    if (!tr.ok) throw new Error('token: ' + ((tj.error && tj.error.message) || tr.status));
    demo.token = tj.token;
    const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    const pc = (demo.pc = new RTCPeerConnection({ iceServers: [] }));
    const dc = (demo.dc = pc.createDataChannel('events'));
    dc.onmessage = (m) => { try { onEvent(JSON.parse(m.data)); } catch (e) { showError(String(e)); } };
    dc.onclose = () => { if (demo.state !== 'ended') setState('ended', 'events channel closed'); };
    pc.addTransceiver(mic.getAudioTracks()[0], { direction: 'sendrecv' });
    pc.ontrack = (e) => {
      const stream = e.streams[0] || new MediaStream([e.track]);
      const audio = $('remote');
      audio.srcObject = stream;
      audio.play().catch(() => {});
      meter(stream);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') setState('ended', 'connection failed');
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathering(pc, 2000);
    const pipeline = $('pipeline').value.trim();
    const r = await fetch(CONFIG.signallingPath + '?pipeline=' + encodeURIComponent(pipeline), {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: 'Bearer ' + demo.token },
      body: pc.localDescription.sdp,
    });
    if (r.status !== 201) {
      const j = await r.json().catch(() => ({}));
      throw new Error('offer refused: ' + r.status + ' ' + ((j.error && j.error.message) || ''));
    }
    demo.location = r.headers.get('location');
    await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  } catch (e) {
    showError(String(e.message || e));
    setState('ended', 'failed');
    hangUp();
  }
}

function hangUp(keepalive) {
  // Only a live session is deleted (the relay answers 204 to a late DELETE anyway).
  if (demo.location && demo.token && demo.state !== 'ended') {
    fetch(demo.location, { method: 'DELETE', keepalive: !!keepalive, headers: { authorization: 'Bearer ' + demo.token } }).catch(() => {});
    demo.location = null;
  }
  if (demo.pc) { demo.pc.getSenders().forEach((s) => s.track && s.track.stop()); demo.pc.close(); }
}
function stop() { hangUp(false); setState('ended', 'stopped'); }
demo.start = start;
demo.stop = stop;

$('start').onclick = start;
$('stop').onclick = stop;
addEventListener('pagehide', () => hangUp(true));
setState('idle');
if (params.get('autostart') === '1') start();
`;

export function demoPageHtml(o: DemoPageOptions): string {
  // JSON inside <script type="application/json">: escape "<" so no tag can close it.
  const config = JSON.stringify(o).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>voice-relay · WebRTC demo</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>voice-relay</h1>
  <label>pipeline <input id="pipeline" autocomplete="off"></label>
  <button id="start">Start</button>
  <button id="stop" disabled>Stop</button>
  <div id="level" title="reply audio level"><div></div></div>
  <span id="status"></span>
</header>
<div id="about"><div><b>engines</b><span id="engines"></span></div><div><b>try saying</b><span id="say"></span></div></div>
<main>
  <section><h2>Transcript</h2><div id="transcript"></div></section>
  <section><h2>Reply</h2><div id="reply"></div></section>
  <section id="waterfall"><h2>Latency waterfall (ms after the end of your speech)</h2><div id="pending"></div><div id="turns"></div><div id="errors"></div></section>
</main>
<audio id="remote" autoplay></audio>
<script type="application/json" id="demo-config">${config}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
