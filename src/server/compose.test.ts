import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPipelines } from '../config/pipelines.js';
import { loadRelayConfig } from './relay-config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
  healthcheck?: { test: string[] };
}

// There is no Docker engine here, so the compose file is checked, not started.
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as {
    services: Record<string, Service>;
  };
  const services = compose.services;

  it('defines redis, the engines, two media nodes, a gateway, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual([
      'espeak',
      'gateway',
      'grafana',
      'pocketsphinx',
      'prometheus',
      'redis',
      'relay-a',
      'relay-b',
      'reply',
      'sim',
    ]);
    for (const [name, s] of Object.entries(services)) {
      expect(s.healthcheck?.test.length ?? 0, `${name} has a health check`).toBeGreaterThan(0);
    }
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
      }
    }
  });

  it('gives every relay service a configuration the relay accepts', async () => {
    for (const name of ['relay-a', 'relay-b', 'gateway']) {
      const s = services[name]!;
      const env = Object.fromEntries(
        Object.entries(s.environment ?? {}).map(([k, v]) => [
          k,
          v.startsWith('${') ? 'x'.repeat(40) : v,
        ]),
      );
      const config = loadRelayConfig(s.command ?? [], env);
      expect(config.redisUrl).toBe('redis://redis:6379');
      const pipelines = await loadPipelines(join(ROOT, config.pipelinesDir));
      for (const p of pipelines.values()) {
        for (const stage of Object.values(p.stages)) {
          for (const e of stage.endpoints) {
            expect(
              e === 'embedded' || services[e.split(':')[0]!] !== undefined,
              `${name}: ${e}`,
            ).toBe(true);
          }
        }
      }
    }
  });

  it('runs an engine kind that exists, and the Dockerfile copies what the image needs', () => {
    const sim = services['sim']!;
    expect(sim.entrypoint).toEqual(['node', 'dist/engines/main.js']);
    expect(readFileSync(join(ROOT, 'src/engines/main.ts'), 'utf8')).toContain(
      `${sim.command?.[0] ?? ''}:`,
    );
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    // Multi-stage on Node 24, built with npm run build, run from dist/ as a non-root user.
    expect(dockerfile).toMatch(/^FROM node:24\S* AS build$/m);
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*dist\/healthcheck\.js/m);
    // jemalloc preloaded: RSS goes back down after a load peak (bench section rss).
    expect(dockerfile).toMatch(/^ENV LD_PRELOAD=\/usr\/local\/lib\/libjemalloc\.so\.2$/m);
    expect(dockerfile).toContain('libjemalloc2');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/main\.js"\]$/m);
    expect(existsSync(join(ROOT, 'src/healthcheck.ts'))).toBe(true);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(' ')) {
        expect(existsSync(join(ROOT, src)), src).toBe(true);
      }
    }
  });
});
