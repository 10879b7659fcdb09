// The management gateway under REST load: health and readiness probes, and with an admin
// key the session list and the pipeline list.
//
//   k6 run -e ADMIN_KEY=$ADMIN loadtest/gateway.js
//
// Environment: GATEWAY_URL (http://127.0.0.1:8081), ADMIN_KEY (the relay's --admin-keys;
// without it only /healthz and /readyz are exercised), VUS (10), DURATION (30s),
// SESSIONS_P99_MS (50), HEALTH_P99_MS (20).
import { check } from 'k6';
import http from 'k6/http';
import { env, GATEWAY_URL } from './lib/k6-env.js';

const ADMIN_KEY = env('ADMIN_KEY', '');

export const options = {
  scenarios: {
    rest: {
      executor: 'constant-vus',
      vus: Number(env('VUS', '10')),
      duration: env('DURATION', '30s'),
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{route:healthz}': [`p(99)<${env('HEALTH_P99_MS', '20')}`],
    'http_req_duration{route:sessions}': [`p(99)<${env('SESSIONS_P99_MS', '50')}`],
    checks: ['rate>0.99'],
  },
};

export default function () {
  const health = http.get(`${GATEWAY_URL}/healthz`, { tags: { route: 'healthz' } });
  check(health, { 'healthz 200': (r) => r.status === 200 });
  const ready = http.get(`${GATEWAY_URL}/readyz`, { tags: { route: 'readyz' } });
  check(ready, { 'readyz 200': (r) => r.status === 200 });
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
}
