// The management gateway under REST load, at a fixed request rate (a slow gateway shows up
// as latency and dropped iterations, not as a lower rate): health and readiness probes and
// the Prometheus scrape; with an admin key also the session list, the pipeline list and
// client-token minting (POST /v1/tokens).
//
//   k6 run loadtest/gateway.js
//   k6 run -e ADMIN_KEY=$ADMIN -e RATE=200 -e DURATION=2m loadtest/gateway.js
//
// Environment: GATEWAY_URL (http://127.0.0.1:8081), ADMIN_KEY (the relay's --admin-keys;
// without it only /healthz, /readyz and /metrics are exercised), RATE (iterations per
// second, 50), DURATION (30s), HEALTH_P99_MS (20), SESSIONS_P99_MS (50), TOKENS_P99_MS (50),
// REPORT (summary file prefix, see lib/report.js).
import { check } from 'k6';
import http from 'k6/http';
import { env, GATEWAY_URL, PIPELINE } from './lib/k6-env.js';
import { SUMMARY_TREND_STATS, summaryReport } from './lib/report.js';

const ADMIN_KEY = env('ADMIN_KEY', '');

/** @type {Record<string, string[]>} */
const thresholds = {
  http_req_failed: ['rate<0.01'],
  'http_req_duration{route:healthz}': [`p(99)<${env('HEALTH_P99_MS', '20')}`],
  checks: ['rate>0.99'],
};
if (ADMIN_KEY !== '') {
  // Only with a key: a threshold on a metric without samples would pass vacuously.
  thresholds['http_req_duration{route:sessions}'] = [`p(99)<${env('SESSIONS_P99_MS', '50')}`];
  thresholds['http_req_duration{route:tokens}'] = [`p(99)<${env('TOKENS_P99_MS', '50')}`];
}

export const options = {
  scenarios: {
    rest: {
      executor: 'constant-arrival-rate',
      rate: Number(env('RATE', '50')),
      timeUnit: '1s',
      duration: env('DURATION', '30s'),
      preAllocatedVUs: 10,
      maxVUs: 100,
    },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function () {
  const health = http.get(`${GATEWAY_URL}/healthz`, { tags: { route: 'healthz' } });
  check(health, { 'healthz 200': (r) => r.status === 200 });
  const ready = http.get(`${GATEWAY_URL}/readyz`, { tags: { route: 'readyz' } });
  check(ready, { 'readyz 200': (r) => r.status === 200 });
  const metrics = http.get(`${GATEWAY_URL}/metrics`, {
    tags: { route: 'metrics' },
    ...(ADMIN_KEY === '' ? {} : { headers: { authorization: `Bearer ${ADMIN_KEY}` } }),
  });
  check(metrics, {
    'metrics 200 with relay series': (r) =>
      r.status === 200 && String(r.body).includes('relay_sessions_active'),
  });
  if (ADMIN_KEY === '') {
    return;
  }
  const headers = { authorization: `Bearer ${ADMIN_KEY}` };
  const sessions = http.get(`${GATEWAY_URL}/v1/sessions`, { headers, tags: { route: 'sessions' } });
  check(sessions, {
    'sessions 200': (r) => r.status === 200,
    'sessions is a list': (r) =>
      Array.isArray(/** @type {{ sessions?: unknown }} */ (r.json()).sessions),
  });
  const pipelines = http.get(`${GATEWAY_URL}/v1/pipelines`, {
    headers,
    tags: { route: 'pipelines' },
  });
  check(pipelines, { 'pipelines 200': (r) => r.status === 200 });
  const token = http.post(
    `${GATEWAY_URL}/v1/tokens`,
    JSON.stringify({ tenant: env('TENANT', 'dev'), pipelines: [PIPELINE], ttlSec: 60 }),
    { headers: { ...headers, 'content-type': 'application/json' }, tags: { route: 'tokens' } },
  );
  check(token, {
    'token minted': (r) =>
      (r.status === 200 || r.status === 201) &&
      typeof (/** @type {{ token?: unknown }} */ (r.json()).token) === 'string',
  });
}

export const handleSummary = summaryReport('gateway');
