import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { writeStamp } from './stamp.js';
import { Samples } from './stats.js';

/** Where a client connects: the relay (with a bearer token) or the direct pipe. */
export interface Target {
  url: string;
  headers: Record<string, string>;
}

/** Whether downstream frames arriving now count (the measurement window). */
export interface Window {
  measuring: boolean;
}

/** One load-generator connection: protocol v1 framing, downstream bookkeeping. */
export interface BenchClient {
  readonly ws: WebSocket;
  readonly index: number;
  errors: number;
  /** Upstream: next frame index and its due time (performance.now ms). */
  k: number;
  nextDue: number;
  downFrames: number;
  downGaps: number;
  lastSeq: number;
  /** arrival − reply offset (ms) of downstream frames inside the window. */
  downRel: number[];
}

const FRAME_BYTES = 640;
const HEADER = 12;

/** A JSON event from the server, as the load generator sees it. */
export type ServerEventJson = { type?: string } & Record<string, unknown>;

/**
 * Open `n` connections (at most `concurrency` handshakes at once); each waits for
 * session.ready. `onEvent` sees every JSON event of every client.
 */
export async function openClients(
  target: Target,
  n: number,
  win: Window,
  concurrency = 32,
  onEvent?: (c: BenchClient, ev: ServerEventJson) => void,
): Promise<{ clients: BenchClient[]; failures: number; openMs: number }> {
  const t0 = performance.now();
  const clients: BenchClient[] = [];
  let failures = 0;
  let next = 0;
  const openOne = (index: number): Promise<BenchClient> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(target.url, { headers: target.headers, perMessageDeflate: false });
      const c: BenchClient = {
        ws,
        index,
        errors: 0,
        k: 0,
        nextDue: 0,
        downFrames: 0,
        downGaps: 0,
        lastSeq: -1,
        downRel: [],
      };
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no session.ready within 15 s'));
      }, 15_000);
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          onDownstream(c, data, win);
          return;
        }
        const ev = JSON.parse(data.toString('utf8')) as ServerEventJson;
        onEvent?.(c, ev);
        if (ev.type === 'session.ready') {
          clearTimeout(timer);
          resolve(c);
        } else if (ev.type === 'error' || ev.type === 'session.closing') {
          c.errors++;
        }
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`upgrade refused: ${res.statusCode ?? 0}`));
      });
    });
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      try {
        clients.push(await openOne(i));
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, () => worker()));
  clients.sort((a, b) => a.index - b.index);
  return { clients, failures, openMs: performance.now() - t0 };
}

function onDownstream(c: BenchClient, data: Buffer, win: Window): void {
  if (data.length < HEADER) {
    c.errors++;
    return;
  }
  const now = performance.now();
  const seq = data.readUInt32BE(0);
  const offsetMs = data.readUInt32BE(4);
  c.downFrames++;
  if (c.lastSeq >= 0 && seq > c.lastSeq + 1) {
    c.downGaps += seq - c.lastSeq - 1;
  }
  c.lastSeq = seq;
  if (win.measuring) {
    c.downRel.push(now - offsetMs);
  }
}

/** Close every connection (1000), terminating those that do not finish within `timeoutMs`. */
export async function closeClients(
  clients: readonly BenchClient[],
  timeoutMs = 3_000,
): Promise<void> {
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) {
            resolve();
            return;
          }
          const timer = setTimeout(() => {
            c.ws.terminate();
            resolve();
          }, timeoutMs);
          c.ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          c.ws.close(1000);
        }),
    ),
  );
}

export interface StreamerOptions {
  round: number;
  /** Stop each client after this many frames (undefined: until stop()). */
  framesPerClient?: number;
  /** Frames below this index are warm-up (not measured by the sink). */
  warmupFrames?: number;
}

/**
 * One 1 ms timer loop for a whole load (no timer per stream): `step` sends what is due
 * and says whether anything is left; `run` resolves when nothing is, or on stop().
 */
export abstract class SendLoop {
  #timer: NodeJS.Timeout | undefined;
  #done: (() => void) | undefined;
  #stopped = false;

  /** Send what is due at `now` (performance.now ms); false once nothing is left to send. */
  protected abstract step(now: number): boolean;

  run(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#done = resolve;
      this.#loop();
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#done?.();
  }

  readonly #loop = (): void => {
    this.#timer = undefined;
    const pending = this.step(performance.now());
    if (this.#stopped) {
      return;
    }
    if (!pending) {
      this.#done?.();
      return;
    }
    this.#timer = setTimeout(this.#loop, 1);
  };
}

/**
 * Sends 20 ms stamped frames from every client, phase-spread over the 20 ms period
 * (client j of a batch of n starts j·20/n ms after the others), on absolute due times.
 * One 1 ms timer loop for all clients: no timer per stream, no worker threads; bounded
 * by framesPerClient or stop().
 */
export class Streamer extends SendLoop {
  readonly #o: StreamerOptions;
  readonly #clients: BenchClient[] = [];
  /** How late frames left against their due time (ms): the load generator's own lag. */
  readonly sendLagMs = new Samples(1 << 14);
  sent = 0;

  constructor(o: StreamerOptions) {
    super();
    this.#o = o;
  }

  add(batch: readonly BenchClient[]): void {
    const start = performance.now() + 5;
    batch.forEach((c, j) => {
      c.k = 0;
      c.nextDue = start + (j * 20) / batch.length;
      this.#clients.push(c);
    });
  }

  protected step(now: number): boolean {
    const limit = this.#o.framesPerClient ?? Infinity;
    const warm = this.#o.warmupFrames ?? 0;
    let pending = false;
    for (const c of this.#clients) {
      while (c.k < limit && c.nextDue <= now) {
        if (c.ws.readyState === WebSocket.OPEN) {
          const buf = Buffer.alloc(HEADER + FRAME_BYTES);
          buf.writeUInt32BE(c.k >>> 0, 0);
          buf.writeUInt32BE((c.k * 20) >>> 0, 4);
          if (c.k >= warm) {
            this.sendLagMs.push(performance.now() - c.nextDue);
          }
          writeStamp(
            buf.subarray(HEADER),
            process.hrtime.bigint(),
            this.#o.round,
            c.index,
            c.k >= warm,
          );
          c.ws.send(buf);
          this.sent++;
        }
        c.k++;
        c.nextDue += 20;
      }
      if (c.k < limit) {
        pending = true;
      }
    }
    return pending;
  }
}

/** Downstream cadence: per client, lateness = (arrival − offset) − its median; pooled (ms). */
export function downstreamLateness(clients: readonly BenchClient[]): Samples {
  const out = new Samples(1 << 14);
  for (const c of clients) {
    if (c.downRel.length < 5) {
      continue;
    }
    const s = Float64Array.from(c.downRel).sort();
    const med = s[s.length >> 1]!;
    for (const v of c.downRel) {
      out.push(v - med);
    }
  }
  return out;
}
