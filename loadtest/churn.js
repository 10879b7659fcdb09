// Connection churn: per iteration connect, authenticate on the upgrade, wait for
// session.ready, close (1000). Arrivals at a fixed rate, so a slow relay shows up as
// latency and dropped iterations rather than as a lower rate.
//
//   k6 run -e RATE=10 -e DURATION=1m loadtest/churn.js
//
// Environment: RELAY_URL, GATEWAY_URL, PIPELINE (sim), TOKEN | ADMIN_KEY (lib/k6-env.js),
// RATE (connections per second, 5), DURATION (1m), READY_P95_MS (500), REPORT.
// The relay limits connections per credential (limits.connectsPerMinute, default 600 =
// 10/s, and limits.maxSessionsPerKey, default 100): one token shared by every VU counts as
// one credential, so the default rate stays at half the limit; above 10/s raise
// limits.connectsPerMinute in the relay's config file.
import { check } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import { clearTimeout, setTimeout } from 'k6/timers';
import { clientToken, env, PIPELINE, RELAY_URL, websockets } from './lib/k6-env.js';
import { sessionUrl } from './lib/protocol.js';
import { SUMMARY_TREND_STATS, summaryReport } from './lib/report.js';

const ready = new Trend('churn_ready', true);
const ok = new Rate('churn_ok');

export const options = {
  scenarios: {
    churn: {
      executor: 'constant-arrival-rate',
      rate: Number(env('RATE', '5')),
      timeUnit: '1s',
      duration: env('DURATION', '1m'),
      preAllocatedVUs: 20,
      maxVUs: 200,
    },
  },
  thresholds: {
    churn_ready: [`p(95)<${env('READY_P95_MS', '500')}`],
    churn_ok: ['rate>=0.99'],
    ws_connecting: ['p(95)<500'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return { token: clientToken() };
}

/** @param {{ token: string }} data */
export default function (data) {
  const t0 = Date.now();
  let gotReady = false;
  const socket = new websockets.WebSocket(sessionUrl(RELAY_URL, PIPELINE), null, {
    headers: { Authorization: `Bearer ${data.token}` },
  });
  // A refused or silent upgrade must not hold the VU: give up after 5 s.
  const guard = setTimeout(() => socket.close(), 5000);
  socket.onmessage = (ev) => {
    if (ev === undefined || typeof ev.data !== 'string') {
      return;
    }
    const msg = JSON.parse(ev.data);
    if (msg.type === 'session.ready' && !gotReady) {
      gotReady = true;
      ready.add(Date.now() - t0);
      socket.close(1000);
    }
  };
  socket.onclose = () => {
    clearTimeout(guard);
    ok.add(gotReady);
    check(gotReady, { 'session.ready before close': (x) => x });
  };
}

export const handleSummary = summaryReport('churn');
