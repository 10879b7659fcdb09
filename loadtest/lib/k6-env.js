// What every k6 script here shares: the WebSocket module of this k6 version, the
// environment, and how a client token is obtained. k6 >= 1.3. k6 only (imports k6/http).
import http from 'k6/http';
import { sleep } from 'k6';

/**
 * `k6/websockets` (v1.6+), else `k6/experimental/websockets` (same API; deprecated from
 * v1.6 on, where it still works with a warning). An `import` of a module the running
 * version lacks fails the whole script, so this uses require() in a try/catch.
 * @type {typeof import('k6/websockets')}
 */
export const websockets = (() => {
  try {
    return require('k6/websockets');
  } catch (e) {
    // @ts-ignore -- k6 < 1.6; @types/k6 2.x no longer ships this module (same API).
    return require('k6/experimental/websockets');
  }
})();

/**
 * `-e NAME=value`, else the default.
 * @param {string} name
 * @param {string} fallback
 * @returns {string}
 */
export function env(name, fallback) {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

export const RELAY_URL = env('RELAY_URL', 'ws://127.0.0.1:8080');
export const GATEWAY_URL = env('GATEWAY_URL', 'http://127.0.0.1:8081');
export const PIPELINE = env('PIPELINE', 'sim');

/**
 * A client token for the media listener, in this order:
 *  TOKEN             used as is (a JWT or a vr_ API key);
 *  ADMIN_KEY         POST /v1/tokens (tenant TENANT, default "dev"; ttlSec TOKEN_TTL_SEC, default 3600);
 *  otherwise         POST /v1/tokens/dev (only with `npm start`, i.e. --dev-tokens; lifetime 300 s).
 * Call it from setup(): the gateway rate-limits dev tokens per IP.
 * @returns {string}
 */
export function clientToken() {
  const given = env('TOKEN', '');
  if (given !== '') {
    return given;
  }
  const admin = env('ADMIN_KEY', '');
  const res =
    admin !== ''
      ? http.post(
          `${GATEWAY_URL}/v1/tokens`,
          JSON.stringify({
            tenant: env('TENANT', 'dev'),
            pipelines: [PIPELINE],
            ttlSec: Number(env('TOKEN_TTL_SEC', '3600')),
          }),
          { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } },
        )
      : http.post(`${GATEWAY_URL}/v1/tokens/dev`, null);
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(
      `could not get a client token from ${GATEWAY_URL}: HTTP ${res.status} ${String(res.body)}`,
    );
  }
  return /** @type {{ token: string }} */ (res.json()).token;
}

/**
 * Wait for this VU's arrival (arrivalMsFor) before its first call.
 * @param {number} vu
 * @param {number} iteration
 * @param {number} vus the scenario's VUs
 */
export function arrive(vu, iteration, vus) {
  const ms = arrivalMsFor(vu, iteration, vus);
  if (ms > 0) {
    sleep(ms / 1000);
  }
}

/**
 * Set binaryType where this k6 version allows it (read-only on v0.50 and earlier).
 * @param {import('k6/websockets').WebSocket} socket
 */
export function arrayBufferMode(socket) {
  try {
    socket.binaryType = 'arraybuffer';
  } catch (e) {
    // Older k6: messages arrive as Blob; callers handle both.
  }
}

/**
 * The calls scenario of a call script: VUS VUs for DURATION (constant-vus), or with
 * ITERATIONS that many calls per VU (per-vu-iterations, bounded by MAX_DURATION).
 * @param {string} defaultVus
 */
export function callScenario(defaultVus) {
  const vus = Number(env('VUS', defaultVus));
  const iterations = env('ITERATIONS', '');
  return iterations === ''
    ? { executor: 'constant-vus', vus, duration: env('DURATION', '1m'), gracefulStop: '30s' }
    : {
        executor: 'per-vu-iterations',
        vus,
        iterations: Number(iterations),
        maxDuration: env('MAX_DURATION', '10m'),
      };
}

/** Milliseconds between two callers' arrivals by default (about 33 new calls per second). */
export const ARRIVAL_GAP_MS = 30;

/**
 * When this VU's caller dials, in ms after the scenario starts: callers arrive one after
 * another over START_SPREAD_MS (default VUS × ARRIVAL_GAP_MS), VU 1 first, evenly spaced,
 * like k6's ramping executors; 0 = every caller at once (lockstep: one burst of upgrades
 * and every first turn at the same moment). Only the first call of a VU waits.
 * @param {number} vu
 * @param {number} iteration
 * @param {number} vus the scenario's VUs
 */
export function arrivalMsFor(vu, iteration, vus) {
  if (iteration > 0) {
    return 0;
  }
  const spread = Number(env('START_SPREAD_MS', String(vus * ARRIVAL_GAP_MS)));
  return vus > 1 ? Math.floor(((vu - 1) / vus) * spread) : 0;
}
