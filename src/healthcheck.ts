#!/usr/bin/env node
import { connect } from 'node:net';

/**
 * The image's HEALTHCHECK (no curl in a slim image): `node dist/healthcheck.js [TARGET…]`
 * exits 0 when any target answers: `http://…` with a 2xx, `tcp://host:port` by accepting a
 * connection (the gRPC engines). Default: the ops listener's and the gateway's /readyz,
 * so one command fits media-only, gateway-only and all-in-one nodes.
 */
const DEFAULT_TARGETS = ['http://127.0.0.1:8082/readyz', 'http://127.0.0.1:8081/readyz'];
const TIMEOUT_MS = 2_000;

function tcp(target: string): Promise<boolean> {
  const u = new URL(target);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    socket.setTimeout(TIMEOUT_MS, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function http(target: string): Promise<boolean> {
  try {
    const r = await fetch(target, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return r.ok;
  } catch {
    return false;
  }
}

export async function healthy(targets: readonly string[]): Promise<boolean> {
  const results = await Promise.all(targets.map((t) => (t.startsWith('tcp:') ? tcp(t) : http(t))));
  return results.some((ok) => ok);
}

const args = process.argv.slice(2);
void healthy(args.length > 0 ? args : DEFAULT_TARGETS).then((ok) => {
  process.exitCode = ok ? 0 : 1;
});
