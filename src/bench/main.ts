import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { replayTable } from '../media/jitter/replay.js';
import { benchFirstAudio } from './first-audio.js';
import { benchCapacity, benchFrameLatency } from './frame-latency.js';
import { benchGatewayIsolation } from './gateway-isolation.js';
import { jitterTarget } from './jitter-target.js';
import { benchMemory } from './memory.js';
import { benchPipelineCost } from './pipeline-cost.js';
import { benchProviders } from './providers.js';
import { markdown, type BenchResults } from './report.js';
import { startBenchEnv } from './setup.js';
import { benchUplink } from './uplink.js';
import { benchSoak } from './uplink-soak.js';
import { benchImpaired } from './uplink-impaired.js';
import { benchWorkers } from './uplink-workers.js';
import { benchRssLoad } from './rss-load.js';
import { startUplinkEnv } from './uplink-env.js';
import { benchTurnDetection } from './turn-detection/index.js';

/** Sizes of one run: `--smoke` (CI, < 1 min) or the full run (~10 min on 2 cores). */
const PLANS = {
  smoke: {
    rounds: 2,
    levels: [20],
    frame: { warmupMs: 500, measureMs: 1000 },
    capacity: {
      levels: [20, 40],
      spec: { warmupMs: 400, measureMs: 600 },
      pairs: 1,
      budgetMs: 15_000,
    },
    firstAudio: { sessions: 2, turns: 1, rounds: 1 },
    providers: { sessions: 2, turns: 2 },
    memory: { steps: [0, 20, 40], settleMs: 400 },
    gateway: { streams: 20, rounds: 1, concurrency: 4, spec: { warmupMs: 400, measureMs: 800 } },
    pipelineCost: { sessions: 20, seconds: 1.5 },
    uplink: {
      sizes: [10],
      rounds: 1,
      warmupMs: 500,
      measureMs: 1500,
    },
    impaired: { streams: 2, seconds: 3 },
    soak: { streams: 20, seconds: 20 },
    rss: { streams: 10, peaks: 1, warmupMs: 500, measureMs: 1500, idleMs: 1000 },
  },
  full: {
    rounds: 5,
    levels: [100, 500, 1000],
    frame: { warmupMs: 1000, measureMs: 3000 },
    capacity: {
      levels: [50, 100, 200, 300, 400, 500, 600, 800, 1000],
      spec: { warmupMs: 800, measureMs: 2000 },
      pairs: 2,
      budgetMs: 150_000,
    },
    firstAudio: { sessions: 20, turns: 2, rounds: 5 },
    providers: { sessions: 10, turns: 3 },
    memory: { steps: [0, 100, 200, 300, 400], settleMs: 1500 },
    gateway: { streams: 100, rounds: 5, concurrency: 8, spec: { warmupMs: 800, measureMs: 2000 } },
    pipelineCost: { sessions: 200, seconds: 10 },
    uplink: {
      sizes: [100, 200, 300],
      rounds: 3,
      warmupMs: 3000,
      measureMs: 15_000,
    },
    impaired: { streams: 20, seconds: 12 },
    soak: { streams: 150, seconds: 300 },
    rss: { streams: 150, peaks: 2, warmupMs: 2000, measureMs: 10_000, idleMs: 5000 },
  },
};

/**
 * Sections run by default; `soak` (5 minutes) and `providers` (the provider bridges
 * against their fakes) only when asked for with --only.
 */
const SECTIONS = [
  'uplink',
  'impaired',
  'frame',
  'capacity',
  'first-audio',
  'memory',
  'gateway',
  'pipeline',
  'jitter',
  'turn-detection',
];
const EXTRA_SECTIONS = ['soak', 'providers', 'workers', 'rss'];

/**
 * npm run bench [-- --smoke] [--out DIR] [--only uplink,frame,capacity,…]: runs the benchmarks,
 * prints a Markdown table and writes bench.json + bench.md to DIR (bench-results/).
 * `--only soak` (or `npm run soak`) runs the 5-minute soak; `--profile-relay DIR` writes a
 * V8 CPU profile of the uplink relay process to DIR (`--profile-forwarder DIR`: of the
 * bare forwarder); `--streams 200[,300]`, `--rounds N`
 * and `--seconds S` override the uplink sizes, rounds and window (and the soak's streams
 * and length; `--streams` and `--rounds` also size `rss` and first-audio). `--only workers [--relay-workers N]` runs the uplink load on one relay
 * process and on N workers (default 2) for the all-cores capacity ratio. Progress goes to stderr.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench-results' },
      only: { type: 'string' },
      'profile-relay': { type: 'string' },
      'profile-forwarder': { type: 'string' },
      streams: { type: 'string' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      'shared-engine': { type: 'boolean', default: false },
      'stt-budget': { type: 'string', default: 'cancel' },
      'engine-window-kb': { type: 'string' },
      'relay-workers': { type: 'string', default: '2' },
    },
  });
  const only = new Set((values.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim()));
  for (const s of only) {
    if (!SECTIONS.includes(s) && !EXTRA_SECTIONS.includes(s)) {
      throw new Error(
        `unknown section "${s}" (sections: ${[...SECTIONS, ...EXTRA_SECTIONS].join(', ')})`,
      );
    }
  }
  const plan = structuredClone(values.smoke ? PLANS.smoke : PLANS.full);
  // Overrides for the uplink and soak sections (e.g. one size while profiling).
  const num = (v: string | undefined, what: string): number | undefined => {
    if (v === undefined) {
      return undefined;
    }
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      throw new Error(`--${what} must be a positive number, got "${v}"`);
    }
    return n;
  };
  const sizes = values.streams?.split(',').map((v) => num(v, 'streams') ?? 0);
  const seconds = num(values.seconds, 'seconds');
  if (sizes !== undefined) {
    plan.uplink.sizes = sizes;
    plan.soak.streams = sizes[0] ?? plan.soak.streams;
  }
  plan.uplink.rounds = num(values.rounds, 'rounds') ?? plan.uplink.rounds;
  plan.firstAudio.rounds = num(values.rounds, 'rounds') ?? plan.firstAudio.rounds;
  if (seconds !== undefined) {
    plan.uplink.measureMs = seconds * 1000;
    plan.soak.seconds = seconds;
  }
  if (!['cancel', 'record'].includes(values['stt-budget'])) {
    throw new Error(`--stt-budget must be cancel or record, got "${values['stt-budget']}"`);
  }
  const log = (line: string): void => console.error(line);
  const started = Date.now();
  const results: BenchResults = {
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    date: new Date().toISOString(),
    smoke: values.smoke,
    loadAvgAtStart: loadavg(),
    rounds: plan.rounds,
  };

  if (sizes !== undefined) {
    plan.rss.streams = sizes[0] ?? plan.rss.streams;
    plan.firstAudio.sessions = sizes[0] ?? plan.firstAudio.sessions;
  }
  if (['uplink', 'impaired', 'soak', 'workers', 'rss'].some((s) => only.has(s))) {
    const profileDir = values['profile-relay'];
    const forwarderProfileDir = values['profile-forwarder'];
    const uplinkEnv = await startUplinkEnv({
      ...(profileDir === undefined
        ? {}
        : { relayNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] }),
      ...(forwarderProfileDir === undefined
        ? {}
        : { forwarderNodeArgs: ['--cpu-prof', '--cpu-prof-dir', forwarderProfileDir] }),
      splitStages: !values['shared-engine'],
      sttBudgetAction: values['stt-budget'] === 'record' ? 'record' : 'cancel',
      ...(values['engine-window-kb'] === undefined
        ? {}
        : {
            engineWindowBytes: (num(values['engine-window-kb'], 'engine-window-kb') ?? 64) * 1024,
          }),
      ...(only.has('workers')
        ? { relayWorkers: num(values['relay-workers'], 'relay-workers') ?? 2 }
        : {}),
    });
    try {
      if (only.has('uplink')) {
        log('uplink: speech-like load, relay vs bare forwarder (interleaved rounds)');
        results.uplink = await benchUplink(uplinkEnv, plan.uplink, log);
        results.uplinkRounds = plan.uplink.rounds;
      }
      if (only.has('impaired')) {
        log('impaired profiles through the relay, against the in-order oracle');
        results.impaired = await benchImpaired(uplinkEnv, plan.impaired, log);
      }
      if (only.has('workers')) {
        log('workers: the uplink load on one relay process and on N workers (interleaved rounds)');
        results.workers = await benchWorkers(uplinkEnv, plan.uplink, log);
      }
      if (only.has('rss')) {
        log('rss: does the relay RSS follow the load (speech-like peaks, idle after each)');
        results.rssLoad = await benchRssLoad(uplinkEnv, plan.rss, log);
      }
      if (only.has('soak')) {
        log(`soak: ${plan.soak.streams} speech-like streams for ${plan.soak.seconds} s`);
        results.soak = await benchSoak(uplinkEnv, plan.soak, log);
        results.soak.loadAvg = loadavg();
      }
    } finally {
      await uplinkEnv.close();
    }
  }

  const needsEnv = ['frame', 'capacity', 'first-audio', 'memory', 'gateway'].some((s) =>
    only.has(s),
  );
  const env = needsEnv ? await startBenchEnv() : undefined;
  try {
    if (env !== undefined && only.has('frame')) {
      log('frame latency (direct vs relay, interleaved rounds)');
      results.frameLatency = await benchFrameLatency(
        env,
        plan.levels,
        plan.frame,
        plan.rounds,
        log,
      );
    }
    if (env !== undefined && only.has('capacity')) {
      log('capacity ramp');
      const c = plan.capacity;
      results.capacity = await benchCapacity(env, c.levels, c.spec, c.pairs, c.budgetMs, log);
    }
    if (env !== undefined && only.has('first-audio')) {
      log('first-audio overhead');
      results.firstAudio = await benchFirstAudio(env, plan.firstAudio, log);
    }
    if (env !== undefined && only.has('memory')) {
      log('memory per session');
      results.memory = await benchMemory(env, plan.memory.steps, plan.memory.settleMs);
    }
    if (env !== undefined && only.has('gateway')) {
      log('gateway isolation');
      const g = plan.gateway;
      results.gateway = await benchGatewayIsolation(
        env,
        { ...g.spec, streams: g.streams },
        g.rounds,
        g.concurrency,
        log,
      );
    }
  } finally {
    await env?.close();
  }
  if (only.has('providers')) {
    log('provider bridges (Deepgram + OpenAI-compatible LLM + ElevenLabs) against their fakes');
    results.providers = await benchProviders(plan.providers, log);
  }
  if (only.has('pipeline')) {
    log('session pipeline cost');
    results.pipelineCost = await benchPipelineCost(
      plan.pipelineCost.sessions,
      plan.pipelineCost.seconds,
    );
  }
  if (only.has('jitter')) {
    log('jitter buffer replay');
    results.jitterReplay = replayTable();
    results.jitterTarget = jitterTarget();
  }
  if (only.has('turn-detection')) {
    const plan = {
      seed: 19,
      variants: values.smoke ? 1 : 4,
      splits: ['tune', 'held-out'] as const,
    };
    results.turnDetection = await benchTurnDetection(plan, log);
  }
  results.durationS = (Date.now() - started) / 1000;

  const text = markdown(results);
  console.log(text);
  await mkdir(values.out, { recursive: true });
  await writeFile(`${values.out}/bench.json`, JSON.stringify(results, null, 2));
  await writeFile(`${values.out}/bench.md`, text);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
