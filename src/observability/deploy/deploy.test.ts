import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../metrics.js';

const DEPLOY = fileURLToPath(new URL('.', import.meta.url));
const PROMETHEUS_YML = `${DEPLOY}prometheus.yml`;
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.error === undefined && promtool.status === 0;

interface Panel {
  title: string;
  targets: { expr: string }[];
}

/** Every metric and its label names, as the relay registers them (with the Node defaults). */
async function registered(): Promise<Map<string, { type: string; labels: Set<string> }>> {
  const registry = new Registry();
  createMetrics(registry, true);
  const out = new Map<string, { type: string; labels: Set<string> }>();
  for (const m of await registry.getMetricsAsJSON()) {
    const single = registry.getSingleMetric(m.name) as { labelNames?: readonly string[] };
    out.set(m.name, { type: String(m.type), labels: new Set(single.labelNames ?? []) });
  }
  return out;
}

const PROMQL_WORDS = new Set([
  'sum',
  'by',
  'rate',
  'histogram_quantile',
  'le',
  'instance',
  'job',
  'without',
]);

describe('Prometheus config', () => {
  // CI installs Debian's prometheus package; elsewhere this is skipped, saying why.
  it.skipIf(!hasPromtool)('passes promtool check config (skipped if promtool is missing)', () => {
    const r = spawnSync('promtool', ['check', 'config', PROMETHEUS_YML], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
  it('scrapes every relay node of docker-compose.yml on the port serving its /metrics', () => {
    const prom = parse(readFileSync(PROMETHEUS_YML, 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prom.scrape_configs
      .filter((j) => j.job_name.startsWith('voice-relay'))
      .flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    const compose = parse(
      readFileSync(fileURLToPath(new URL('../../../docker-compose.yml', import.meta.url)), 'utf8'),
      { merge: true },
    ) as { services: Record<string, { command?: string[]; entrypoint?: string[] }> };
    const relays = Object.entries(compose.services).filter(
      ([, s]) => s.entrypoint === undefined && (s.command ?? []).includes('--role'),
    );
    expect(relays.length).toBe(3);
    for (const [name, s] of relays) {
      const role = s.command?.[s.command.indexOf('--role') + 1];
      expect(targets, name).toContain(`${name}:${role === 'media' ? 8082 : 8081}`);
    }
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(
    readFileSync(`${DEPLOY}grafana/dashboards/voice-relay.json`, 'utf8'),
  ) as { uid: string; panels: Panel[] };

  it('shows what an operator needs', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const t of [
      'voice-to-voice',
      'stt final',
      'first token',
      'first audio',
      'budget',
      'sessions',
      'dropped',
      'cpu',
      'event-loop lag',
    ]) {
      expect(titles).toContain(t);
    }
  });

  it('queries only metrics and labels the relay really exports', async () => {
    const metrics = await registered();
    let checked = 0;
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const names = (expr.match(/\b(relay|process|nodejs)_[a-z0-9_]+/g) ?? []) as string[];
        expect(names.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        for (const name of names) {
          const base = name.replace(/_(bucket|sum|count)$/, '');
          const m = metrics.get(name) ?? metrics.get(base);
          expect(m, `${panel.title}: ${name} is not registered`).toBeDefined();
          if (name !== base && metrics.get(name) === undefined) {
            expect(m?.type, name).toBe('histogram');
          }
          // Labels in selectors and `by (…)` clauses exist on the metric.
          const labels = [
            ...[...expr.matchAll(/(\w+)=~?"/g)].map((x) => x[1] ?? ''),
            ...[...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((x) =>
              (x[1] ?? '').split(',').map((l) => l.trim()),
            ),
          ].filter((l) => !PROMQL_WORDS.has(l));
          for (const l of labels) {
            expect(m?.labels.has(l), `${panel.title}: ${name} has no label ${l}`).toBe(true);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(dashboard.panels.length);
  });

  it('is provisioned from the folder Grafana mounts', () => {
    const provider = parse(
      readFileSync(`${DEPLOY}grafana/provisioning/dashboards/voice-relay.yml`, 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    expect(provider.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
    const compose = readFileSync(
      fileURLToPath(new URL('../../../docker-compose.yml', import.meta.url)),
      'utf8',
    );
    expect(compose).toContain(
      './src/observability/deploy/grafana/dashboards:/var/lib/grafana/dashboards',
    );
  });
});
