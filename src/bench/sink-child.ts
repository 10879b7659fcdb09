/**
 * The STT stamp sink in its own process, so the load generator and the sink each get
 * a core's share: `node --import tsx sink-child.ts '{}'`. Stamps are process.hrtime
 * (CLOCK_MONOTONIC), one clock for every process of the machine, so client-send →
 * sink-receive latency needs no clock sync.
 */
import { fileURLToPath } from 'node:url';
import { serveParent, spawnBenchChild } from './child-ipc.js';
import { StampSink } from './stamp-sink.js';
import { summarize, type Summary } from './stats.js';

export interface SinkCounts {
  received: number;
  concealed: number;
}

export interface SinkResult extends SinkCounts {
  /** Client send → STT receive, µs, frames inside the measurement window. */
  up: Summary;
  foreign: number;
}

/** Parent side of the sink process. */
export interface SinkHandle {
  readonly address: string;
  readonly pid: number;
  begin(round: number): Promise<void>;
  counts(): Promise<SinkCounts>;
  result(): Promise<SinkResult>;
  stop(): Promise<void>;
}

export async function spawnSink(): Promise<SinkHandle> {
  const child = await spawnBenchChild<{ address: string }>(fileURLToPath(import.meta.url), {});
  return {
    address: child.info.address,
    pid: child.pid,
    begin: async (round) => {
      await child.request('begin', round);
    },
    counts: () => child.request<SinkCounts>('counts'),
    result: async () => {
      // NaN (an empty window) crosses IPC as null.
      const r = await child.request<SinkResult>('result');
      const up = Object.fromEntries(
        Object.entries(r.up).map(([k, v]) => [k, typeof v === 'number' ? v : NaN]),
      ) as unknown as Summary;
      return { ...r, up };
    },
    stop: () => child.stop(),
  };
}

async function main(): Promise<void> {
  const sink = await StampSink.start();
  serveParent(
    { address: sink.address },
    {
      begin: (round) => {
        sink.beginRound(Number(round));
        return true;
      },
      counts: (): SinkCounts => ({ received: sink.received, concealed: sink.concealed }),
      result: (): SinkResult => ({
        up: summarize(sink.latUs),
        received: sink.received,
        concealed: sink.concealed,
        foreign: sink.foreign,
      }),
    },
    () => ({ streams: sink.streams }),
    () => sink.close(),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
