import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Heartbeat } from './heartbeat.js';
import { Ticker } from './ticker.js';

interface Pair {
  server: WebSocket;
  client: WebSocket;
  close(): Promise<void>;
}

/** A real WebSocket pair on loopback port 0. */
async function pair(): Promise<Pair> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const { port } = wss.address() as AddressInfo;
  const accepted = new Promise<WebSocket>((r) => wss.once('connection', (ws) => r(ws)));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise<void>((r, j) => {
    client.once('open', () => r());
    client.once('error', j);
  });
  const server = await accepted;
  return {
    server,
    client,
    close: async () => {
      client.terminate();
      server.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

function pauseReading(ws: WebSocket): { resume(): void } {
  const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  socket.pause();
  return { resume: () => socket.resume() };
}

describe('Heartbeat over a real WebSocket', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) {
      await c();
    }
  });

  /** A heartbeat of 100 ms on its own ticker, over a fresh WebSocket pair. */
  async function setup(): Promise<{ ticker: Ticker; hb: Heartbeat; p: Pair }> {
    const ticker = new Ticker(20);
    const hb = new Heartbeat(100, ticker);
    const p = await pair();
    cleanups.push(
      () => p.close(),
      () => hb.stop(),
    );
    return { ticker, hb, p };
  }

  it('keeps a peer that answers pings, and reports one that stopped reading once', async () => {
    const { hb, p } = await setup();
    let missed = 0;
    let pings = 0;
    p.client.on('ping', () => pings++);
    const reported = new Promise<void>((resolve) =>
      hb.watch(p.server, () => {
        missed++;
        resolve();
      }),
    );
    // Answering peer: several pings, no report.
    await new Promise<void>((resolve) => {
      const onPing = (): void => {
        if (pings >= 3) {
          p.client.off('ping', onPing);
          resolve();
        }
      };
      p.client.on('ping', onPing);
    });
    expect(missed).toBe(0);
    pauseReading(p.client);
    await reported;
    expect(missed).toBe(1);
    expect(hb.size).toBe(0);
  });

  it('terminates a silent peer when nobody asked to be told', async () => {
    const { ticker, hb, p } = await setup();
    hb.watch(p.server);
    const reader = pauseReading(p.client);
    const code = await new Promise<number>((r) => p.server.once('close', (c: number) => r(c)));
    reader.resume();
    expect(code).toBe(1006);
    hb.forget(p.server);
    expect(ticker.listenerCount).toBe(0);
  });
});
