// End-of-test reports for every script: `export const handleSummary = summaryReport('name')`.
// Writes <REPORT>.json (k6's summary data plus the run's settings) and <REPORT>.html (one
// self-contained page: inline CSS, no scripts, no network) and prints a compact text summary
// with every threshold. REPORT (a path prefix; k6 does not create directories) defaults to `k6-<name>` in the working
// directory; REPORT=none writes no files. k6 only replaces its own end-of-test summary when a script exports handleSummary.

/** Environment settings of the scripts that a report records. */
const SETTINGS = [
  'RELAY_URL',
  'GATEWAY_URL',
  'PIPELINE',
  'CARRIER',
  'VUS',
  'DURATION',
  'RATE',
  'TURNS',
  'SPEECH_MS',
  'WAV',
  'SAMPLE_RATE',
  'IMPAIR',
  'SEED',
  'BARGE_IN_MS',
  'CREDENTIAL',
];

/** Trend columns of the summary (k6's default lacks p(99)). */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'];

/**
 * @typedef {{ type: string, contains?: string, values: Record<string, number>,
 *   thresholds?: Record<string, { ok: boolean }> }} SummaryMetric
 * @typedef {{ name: string, passes: number, fails: number }} SummaryCheck
 * @typedef {{ name?: string, checks?: SummaryCheck[], groups?: SummaryGroup[] }} SummaryGroup
 * @typedef {{ metrics: Record<string, SummaryMetric>, root_group?: SummaryGroup,
 *   state?: { testRunDurationMs?: number }, options?: unknown }} SummaryData
 */

/**
 * @param {string} v
 * @returns {string}
 */
function esc(v) {
  return v
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * A metric value for people: ms for time trends, % for rates.
 * @param {SummaryMetric} m
 * @param {string} stat
 * @returns {string}
 */
function fmt(m, stat) {
  const v = m.values[stat];
  if (v === undefined) {
    return '';
  }
  if (m.type === 'rate' && stat === 'rate') {
    return `${(v * 100).toFixed(2)} %`;
  }
  if (m.contains === 'time' && stat !== 'count' && stat !== 'rate') {
    return v >= 1000 ? `${(v / 1000).toFixed(3)} s` : `${v.toFixed(1)} ms`;
  }
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/**
 * Stats shown per metric type.
 * @param {SummaryMetric} m
 * @returns {string[]}
 */
function statsOf(m) {
  if (m.type === 'trend') {
    return SUMMARY_TREND_STATS.filter((s) => m.values[s] !== undefined);
  }
  if (m.type === 'rate') {
    return ['rate', 'passes', 'fails'];
  }
  if (m.type === 'counter') {
    return ['count', 'rate'];
  }
  return ['value', 'min', 'max'];
}

/**
 * Every threshold: metric, expression, ok.
 * @param {SummaryData} data
 * @returns {{ metric: string, expr: string, ok: boolean }[]}
 */
export function thresholdResults(data) {
  /** @type {{ metric: string, expr: string, ok: boolean }[]} */
  const out = [];
  for (const name of Object.keys(data.metrics).sort()) {
    const t = data.metrics[name].thresholds;
    if (t === undefined) {
      continue;
    }
    for (const expr of Object.keys(t)) {
      out.push({ metric: name, expr, ok: t[expr].ok });
    }
  }
  return out;
}

/**
 * Every check of every group, flattened.
 * @param {SummaryGroup | undefined} g
 * @param {SummaryCheck[]} into
 * @returns {SummaryCheck[]}
 */
function allChecks(g, into) {
  if (g === undefined) {
    return into;
  }
  for (const c of g.checks || []) {
    into.push(c);
  }
  for (const sub of g.groups || []) {
    allChecks(sub, into);
  }
  return into;
}

/**
 * The value a threshold expression is about ("p(95)<1500" → the metric's p(95)).
 * @param {SummaryMetric} m
 * @param {string} expr
 * @returns {string}
 */
function thresholdValue(m, expr) {
  const match = /^\s*([a-z]+(?:\([0-9.]+\))?)/.exec(expr);
  const stat = match === null ? '' : match[1];
  return fmt(m, stat === 'count' && m.type === 'trend' ? 'count' : stat);
}

/**
 * The compact text summary (stdout).
 * @param {string} name
 * @param {SummaryData} data
 * @returns {string}
 */
export function textReport(name, data) {
  const lines = [`\n${name}: thresholds`];
  for (const t of thresholdResults(data)) {
    const m = data.metrics[t.metric];
    lines.push(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.metric} ${t.expr}  (${thresholdValue(m, t.expr)})`);
  }
  const checks = allChecks(data.root_group, []);
  if (checks.length > 0) {
    lines.push('checks');
    for (const c of checks) {
      lines.push(
        `  ${c.fails === 0 ? 'ok  ' : 'FAIL'} ${c.name}: ${c.passes} passed, ${c.fails} failed`,
      );
    }
  }
  lines.push('metrics');
  for (const key of Object.keys(data.metrics).sort()) {
    if (key.indexOf('{') >= 0) {
      continue;
    }
    const m = data.metrics[key];
    const cells = statsOf(m)
      .map((s) => `${s}=${fmt(m, s)}`)
      .join(' ');
    lines.push(`  ${key} ${cells}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One self-contained HTML page.
 * @param {string} name
 * @param {SummaryData} data
 * @param {Record<string, string>} settings
 * @returns {string}
 */
export function htmlReport(name, data, settings) {
  const ths = thresholdResults(data);
  const failed = ths.filter((t) => !t.ok).length;
  const rows = (/** @type {string[][]} */ cells) =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  const thRows = rows(
    ths.map((t) => [
      t.ok ? '<b class="ok">pass</b>' : '<b class="bad">FAIL</b>',
      esc(t.metric),
      esc(t.expr),
      esc(thresholdValue(data.metrics[t.metric], t.expr)),
    ]),
  );
  const checkRows = rows(
    allChecks(data.root_group, []).map((c) => [
      c.fails === 0 ? '<b class="ok">pass</b>' : '<b class="bad">FAIL</b>',
      esc(c.name),
      String(c.passes),
      String(c.fails),
    ]),
  );
  const groups = { trend: [], rate: [], counter: [], gauge: [] };
  /** @type {Record<string, string[][]>} */
  const byType = groups;
  for (const key of Object.keys(data.metrics).sort()) {
    const m = data.metrics[key];
    const list = byType[m.type];
    if (list !== undefined) {
      list.push([esc(key), ...statsOf(m).map((s) => esc(`${s}: ${fmt(m, s)}`))]);
    }
  }
  const sections = Object.keys(byType)
    .filter((t) => byType[t].length > 0)
    .map((t) => `<h2>${t}s</h2>\n<table>${rows(byType[t])}</table>`)
    .join('\n');
  const settingRows = rows(Object.keys(settings).map((k) => [esc(k), esc(settings[k])]));
  const durationS = ((data.state && data.state.testRunDurationMs) || 0) / 1000;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(name)}: k6 report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td{border:1px solid #ccc;padding:.25em .6em}
.ok{color:#16794a}.bad{color:#b3261e}h1 small{font-weight:normal;color:#666}
</style></head><body>
<h1>${esc(name)} <small>${failed === 0 ? '<span class="ok">all thresholds pass</span>' : `<span class="bad">${failed} threshold(s) crossed</span>`} · ${durationS.toFixed(1)} s</small></h1>
<h2>Thresholds</h2><table>${thRows}</table>
<h2>Checks</h2><table>${checkRows}</table>
${sections}
<h2>Settings</h2><table>${settingRows}</table>
</body></html>
`;
}

/**
 * handleSummary for a script: JSON + HTML files (unless REPORT=none) and the text summary.
 * @param {string} name
 * @returns {(data: SummaryData) => Record<string, string>}
 */
export function summaryReport(name) {
  return (data) => {
    const prefix = __ENV.REPORT === undefined || __ENV.REPORT === '' ? `k6-${name}` : __ENV.REPORT;
    /** @type {Record<string, string>} */
    const settings = { script: name, finished: new Date().toISOString() };
    // The run's settings (never credentials, never the rest of the process environment).
    for (const k of SETTINGS) {
      const v = __ENV[k];
      if (v !== undefined && v !== '') {
        settings[k] = String(v);
      }
    }
    /** @type {Record<string, string>} */
    const out = { stdout: textReport(name, data) };
    if (prefix !== 'none') {
      // Everything k6 passes but setup()'s return value, which holds the client token.
      const { setup_data: _token, ...summary } =
        /** @type {SummaryData & { setup_data?: unknown }} */ (data);
      out[`${prefix}.json`] = JSON.stringify({ script: name, settings, ...summary }, null, 2);
      out[`${prefix}.html`] = htmlReport(name, data, settings);
    }
    return out;
  };
}
