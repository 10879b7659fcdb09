/**
 * REST load on the management gateway, in its own process (like k6 would be):
 * `concurrency` keep-alive loops of GET /v1/sessions with an admin key, between a
 * `start` and a `stop` request from the parent.
 *
 *   node --import tsx rest-load-child.ts '{"url":"http://127.0.0.1:PORT","adminKey":"…","concurrency":8}'
 */
import { performance } from 'node:perf_hooks';
import { serveParent } from './child-ipc.js';
import { Samples, summarize } from './stats.js';

export interface RestLoadConfig {
  url: string;
  adminKey: string;
  concurrency: number;
}

export interface RestLoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

function main(): void {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as RestLoadConfig;
  const url = `${cfg.url}/v1/sessions`;
  const headers = { authorization: `Bearer ${cfg.adminKey}` };
  let running = false;
  let loops: Promise<void>[] = [];
  let startedAt = 0;
  let requests = 0;
  let errors = 0;
  const lat = new Samples(1 << 14);

  const loop = async (): Promise<void> => {
    while (running) {
      const t = performance.now();
      try {
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) {
          errors++;
        }
      } catch {
        errors++;
      }
      requests++;
      lat.push(performance.now() - t);
    }
  };

  serveParent(
    {},
    {
      'load-start': () => {
        requests = 0;
        errors = 0;
        lat.clear();
        running = true;
        startedAt = performance.now();
        loops = Array.from({ length: cfg.concurrency }, () => loop());
        return true;
      },
      'load-stop': async (): Promise<RestLoadResult> => {
        running = false;
        await Promise.all(loops);
        const s = summarize(lat);
        return {
          requests,
          errors,
          rps: requests / ((performance.now() - startedAt) / 1000),
          p50Ms: s.p50,
          p99Ms: s.p99,
        };
      },
    },
  );
}

main();
